//! Credentials end to end: stored encrypted, applied by http.request against a real server on
//! 127.0.0.1, and never written into run data, logs, errors or any file of the data directory.

use crate::{weft, weft_in, write_doc};
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

const TOKEN: &str = "tok-9f8e7d6c5b4a-secret";
const PASSWORD: &str = "pw-correct-horse-battery";

/// A server that echoes the Authorization header back (as a careless API might), and fails with
/// the header in its error body on /fail.
async fn echo_server(seen: Arc<Mutex<Vec<String>>>) -> String {
    let record = |seen: Arc<Mutex<Vec<String>>>, h: &HeaderMap| {
        let auth = h
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        seen.lock().unwrap().push(auth.clone());
        auth
    };
    let (s1, s2) = (seen.clone(), seen);
    let app = Router::new()
        .route(
            "/echo",
            get(move |h: HeaderMap| async move {
                let auth = record(s1, &h);
                axum::Json(json!({ "youSent": auth }))
            }),
        )
        .route(
            "/fail",
            get(move |h: HeaderMap| async move {
                let auth = record(s2, &h);
                (
                    StatusCode::BAD_REQUEST,
                    format!("invalid request, authorization was {auth}"),
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn add_credential(dir: &Path, name: &str, kind: &str, fields: &[&str], stdin: &str) -> String {
    let mut cmd = weft();
    cmd.args(["credentials", "add", name, "--kind", kind, "--data-dir"])
        .arg(dir);
    for f in fields {
        cmd.args(["--field", f]);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn all_bytes_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.push((p.display().to_string(), bytes));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_applied_but_never_stored_logged_or_shown() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let base = echo_server(seen.clone()).await;

    let bearer = add_credential(
        dir,
        "api token",
        "bearer",
        &["token=@-"],
        &format!("{TOKEN}\n"),
    );
    let basic = add_credential(
        dir,
        "basic login",
        "basic",
        &["username=ada", "password=@-"],
        PASSWORD,
    );
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(dir.join("master.key"))
            .expect("key file created on first use")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode, 0o600);

    let list = weft_in(dir, &["credentials", "list", "--json"]);
    let listed: Value = serde_json::from_slice(&list.stdout).expect("json list");
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    let listed_text = listed.to_string();
    assert!(!listed_text.contains(TOKEN) && !listed_text.contains(PASSWORD));

    let doc = json!({
        "apiVersion": "weft/v1",
        "name": "uses secrets",
        "nodes": [
            { "id": "bearer", "type": "http.request@1",
              "params": { "url": format!("{base}/echo"), "credential": bearer } },
            { "id": "basic", "type": "http.request@1",
              "params": { "url": format!("{base}/echo"), "credential": basic } },
            { "id": "failing", "type": "http.request@1",
              "params": { "url": format!("{base}/fail"), "credential": bearer },
              "settings": { "continueOnFail": true } },
            { "id": "fatal", "type": "http.request@1",
              "params": { "url": format!("{base}/fail"), "credential": basic } }
        ],
        "edges": [
            { "from": { "node": "bearer" }, "to": { "node": "basic" } },
            { "from": { "node": "basic" }, "to": { "node": "failing" } },
            { "from": { "node": "failing" }, "to": { "node": "fatal" } }
        ]
    });
    let file = write_doc(dir, "secrets.json", &doc);
    let run = weft_in(dir, &["run", file.to_str().expect("utf8"), "--json"]);
    assert!(!run.status.success(), "the last step fails on purpose");

    // The server really received the secrets.
    let basic_header = format!("Basic {}", base64_of(&format!("ada:{PASSWORD}")));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            format!("Bearer {TOKEN}"),
            basic_header.clone(),
            format!("Bearer {TOKEN}"),
            basic_header.clone()
        ]
    );

    let events = String::from_utf8_lossy(&run.stdout).into_owned();
    let errors = String::from_utf8_lossy(&run.stderr).into_owned();
    let run_id = events
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|e| e["runId"].as_str().map(str::to_string))
        .expect("a run id in the events");
    let show = weft_in(dir, &["runs", "show", &run_id, "--json"]);
    let shown = String::from_utf8_lossy(&show.stdout).into_owned();
    assert!(
        shown.contains("«redacted»"),
        "the echoed secret was redacted: {shown}"
    );
    assert!(
        shown.contains("http.status"),
        "the failure is still reported: {shown}"
    );

    let needles = [
        TOKEN.to_string(),
        PASSWORD.to_string(),
        base64_of(&format!("ada:{PASSWORD}")),
        base64_of(TOKEN),
    ];
    let mut haystacks = vec![
        ("run events".to_string(), events.into_bytes()),
        ("run stderr".to_string(), errors.into_bytes()),
        ("runs show".to_string(), shown.into_bytes()),
    ];
    haystacks.extend(all_bytes_under(dir));
    for (what, bytes) in &haystacks {
        for needle in &needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{what} contains a secret ({needle})"
            );
        }
    }
}

fn base64_of(s: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &c)| n | (c as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn bad_credential_input_is_explained() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = weft_in(tmp.path(), &["credentials", "add", "x", "--kind", "bearer"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs the string field(s) token"), "{err}");
    let out = weft_in(
        tmp.path(),
        &[
            "credentials",
            "add",
            "x",
            "--kind",
            "oauth1",
            "--field",
            "a=b",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown kind \"oauth1\""));
    let out = weft_in(tmp.path(), &["credentials", "delete", "nope"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no credential with id \"nope\""));
}
