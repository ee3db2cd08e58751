//! Serves the docs page with a small sample OpenAPI 3.1 document, for looking at it in a
//! browser and for `web/e2e/docs.mjs`:
//!
//! ```text
//! cargo run -p weft-apidocs --example serve -- 8080   # 0 picks a free port
//! ```
//!
//! Prints `listening on http://127.0.0.1:PORT/api/docs` once it accepts connections.

#[path = "../tests/it/sample.rs"]
mod sample;

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let port = match std::env::args().nth(1) {
        Some(arg) => arg.parse().with_context(|| format!("not a port: {arg}"))?,
        None => 8080,
    };
    let addr = sample::start(port)
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    println!("listening on http://{addr}/api/docs");
    println!("bearer token for Authorize: {}", sample::TOKEN);
    tokio::signal::ctrl_c().await?;
    Ok(())
}
