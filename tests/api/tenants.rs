use reqwest::StatusCode;

use crate::helpers::{page_text, spawn_app};

#[tokio::test]
async fn two_creators_in_two_browsers_each_see_only_their_own_data() {
    let app = spawn_app().await;
    let (alice, bob) = (app.creator(0), app.creator(1));
    let alices_browser = app.new_browser();
    let bobs_browser = app.new_browser();

    alices_browser.sign_in_as(&alice).await;
    bobs_browser.sign_in_as(&bob).await;
    let (alice_status, alice_page) = alices_browser.get_html("/dashboard").await;
    let (bob_status, bob_page) = bobs_browser.get_html("/dashboard").await;

    assert_eq!((alice_status, bob_status), (StatusCode::OK, StatusCode::OK));
    let (alice_text, bob_text) = (page_text(&alice_page), page_text(&bob_page));
    assert!(alice_text.contains(&alice.email) && !alice_text.contains(&bob.email));
    assert!(bob_text.contains(&bob.email) && !bob_text.contains(&alice.email));
    assert!(alice_text.contains(&alice.name) && !alice_text.contains(&bob.name));
    assert_eq!(app.creator_count().await, 2);
}
