//! Byte-exact edge cases of the Gumroad client against a tiny stand-in server, for behaviour the
//! simulator does not reproduce on purpose (Gumroad bugs).

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use gumdash::gumroad::{self, ApiClient, RetryPolicy};
use secrecy::SecretString;

/// Serves `GET /v2/products` with `respond(call number)` and counts the calls.
async fn stub(respond: fn(usize) -> serde_json::Value) -> (ApiClient, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let counter = counter.clone();
        App::new().route(
            "/v2/products",
            web::get().to(move || {
                let call = counter.fetch_add(1, Ordering::SeqCst);
                async move { HttpResponse::Ok().json(respond(call)) }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    let client = ApiClient::new(
        gumroad::http_client(Duration::from_secs(5)),
        url::Url::parse(&format!("http://127.0.0.1:{port}/v2/")).unwrap(),
        RetryPolicy {
            max_attempts: 1,
            base_delay: Duration::ZERO,
        },
    );
    (client, calls)
}

fn token() -> SecretString {
    SecretString::from("token".to_owned())
}

#[tokio::test]
async fn a_next_page_key_that_repeats_forever_stops_the_listing() {
    let (client, calls) = stub(|call| {
        serde_json::json!({
            "success": true,
            "products": [{"id": format!("p{call}"), "name": "Looping", "price": 100}],
            "next_page_key": "20240302101500000000-524459995",
            "next_page_url": "/v2/products?page_key=20240302101500000000-524459995"
        })
    })
    .await;

    let products = client.products(&token()).await.unwrap();

    // The first page, then the page its key names; that key comes back again, so we stop.
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(products.len(), 2);
}

#[tokio::test]
async fn a_product_index_without_keys_is_the_whole_list() {
    let (client, calls) = stub(|_| {
        serde_json::json!({
            "success": true,
            "products": [
                {"id": "a", "name": "One", "price": "100", "published": "true", "sales_count": "3"},
                {"id": "b", "name": "Two", "price": 0, "published": false}
            ]
        })
    })
    .await;

    let products = client.products(&token()).await.unwrap();

    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(products.len(), 2);
    assert_eq!(products[0].price, 100);
    assert!(products[0].published);
    assert_eq!(products[0].sales_count, Some(3));
}
