//! The docs router served on a loopback port and fetched over HTTP (`http`), and, with
//! `WEFT_BROWSER_TESTS=1`, rendered in Chromium (`browser`).

mod browser;
mod http;
mod sample;
