//! The dashboard as a `gumdash serve` process of its own on the bench database (so its memory and CPU
//! are the server's alone), and what `/proc` says about a process.

use std::time::{Duration, Instant};

use crate::helpers;

/// `gumdash serve` on the bench database, without background workers, answering `/healthz`.
pub struct Server {
    pub child: tokio::process::Child,
    pub pid: u32,
    pub base: String,
}

impl Server {
    pub async fn start(app: &helpers::TestApp, extra: &[(&str, &str)]) -> Self {
        let port = helpers::free_port();
        let child = app.serve_process_with(port, 0, extra);
        let pid = child.id().expect("the server's pid");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let up = Instant::now();
        while !client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(
                up.elapsed() < Duration::from_secs(30),
                "the server did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, pid, base }
    }

    pub fn stop(mut self) {
        self.child.start_kill().ok();
    }
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`).
pub fn memory_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
