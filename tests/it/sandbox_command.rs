//! `flaredns sandbox`: the README's first command, and `--serve`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn the_demo_applies_the_guide_then_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Run away from the repository: the example is built in.
    let output = Command::new(env!("CARGO_BIN_EXE_flaredns"))
        .current_dir(dir.path())
        .arg("sandbox")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (first, second) = text.split_once("== Pass 2").expect("two passes");
    assert!(first.contains("create  nginx.example.com"), "{first}");
    assert!(
        first.contains("Calls this pass: 2 (verify 0, zones 0, lists 1, batches 1, single 0)"),
        "{first}"
    );
    assert!(second.contains("No changes."), "{second}");
    assert!(second.contains("Batches sent: none."), "{second}");
    assert!(
        text.contains("Cloudflare API calls in all: 5 (token verify 1, zones 1, record lists 2, batches 1, single-record calls 0); 429 answers: 0."),
        "{text}"
    );
}

#[tokio::test]
async fn serve_prints_a_url_and_a_token_that_work_and_saves_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("zones.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_flaredns"))
        .args(["sandbox", "--serve", "--listen", "127.0.0.1:0", "--state"])
        .arg(&state)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    let mut token = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(u) = line.strip_prefix("Cloudflare-compatible API: ") {
            url = Some(u.trim().to_string());
        }
        if let Some(t) = line.strip_prefix("API token:") {
            token = Some(t.trim().to_string());
            break;
        }
    }
    let (url, token) = (url.unwrap(), token.unwrap());
    let answer: serde_json::Value = reqwest::Client::new()
        .get(format!("{url}/zones"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["result"][0]["name"], "example.com");
    // Ctrl-C stops it and saves the zones.
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
    let saved = std::fs::read_to_string(&state).unwrap();
    assert!(saved.contains("static.example.com"));
}
