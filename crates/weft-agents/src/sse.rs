//! An incremental parser of Server-Sent Events (the `text/event-stream` framing both
//! OpenAI-compatible servers and Anthropic stream in): bytes in, whole events out.
//!
//! Hand-written because the framing is a line protocol of a few rules (fields `event` and
//! `data`, `:` comments, an empty line ends an event, CR/LF/CRLF line ends) and a crate for it
//! would add a parser-combinator dependency and need reqwest's `stream` feature.

/// One event: its `event:` name (empty when none) and its `data:` lines joined by `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The event type (`message_start`, …) or empty.
    pub event: String,
    /// The data.
    pub data: String,
}

/// Feed it chunks as they arrive; it returns the events they complete.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    event: String,
    data: Vec<String>,
    /// The last byte seen was a CR: a LF right after it ends no second line.
    after_cr: bool,
}

/// The most bytes one line may hold before the stream is refused (a broken server).
const MAX_LINE: usize = 16 * 1024 * 1024;

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next chunk; returns the events it completed, or an error for an endless line.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, String> {
        let mut out = Vec::new();
        for &b in chunk {
            match b {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    let line = std::mem::take(&mut self.buf);
                    self.line(&String::from_utf8_lossy(&line), &mut out);
                }
                _ => {
                    self.after_cr = false;
                    self.buf.push(b);
                    if self.buf.len() > MAX_LINE {
                        return Err(format!(
                            "the event stream sent a line longer than {MAX_LINE} bytes"
                        ));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Ends the stream: an event not closed by an empty line is still delivered.
    pub fn finish(&mut self) -> Option<SseEvent> {
        if !self.buf.is_empty() {
            let line = std::mem::take(&mut self.buf);
            let mut out = Vec::new();
            self.line(&String::from_utf8_lossy(&line), &mut out);
            if let Some(e) = out.pop() {
                return Some(e);
            }
        }
        self.dispatch()
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if let Some(e) = self.dispatch() {
                out.push(e);
            }
            return;
        }
        if line.starts_with(':') {
            return; // comment (keep-alive)
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = value.to_owned(),
            "data" => self.data.push(value.to_owned()),
            _ => {} // id, retry: not needed here
        }
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = std::mem::take(&mut self.event);
        if self.data.is_empty() {
            return None;
        }
        let data = std::mem::take(&mut self.data).join("\n");
        Some(SseEvent { event, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(p.push(c).unwrap());
        }
        out.extend(p.finish());
        out
    }

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn events_split_anywhere_come_out_whole() {
        let text = b"data: {\"a\":1}\n\nevent: message_stop\ndata: {\"type\":\"x\"}\n\n: keep-alive\n\ndata: [DONE]\n\n";
        let whole = all(&[text]);
        assert_eq!(
            whole,
            [
                ev("", "{\"a\":1}"),
                ev("message_stop", "{\"type\":\"x\"}"),
                ev("", "[DONE]")
            ]
        );
        for cut in 0..text.len() {
            assert_eq!(all(&[&text[..cut], &text[cut..]]), whole, "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(all(&bytes), whole);
    }

    #[test]
    fn crlf_cr_multiline_data_and_an_unterminated_last_event() {
        assert_eq!(
            all(&[b"data: a\r\ndata: b\r\n\r\ndata:c\rdata: d"]),
            [ev("", "a\nb"), ev("", "c\nd")]
        );
        assert_eq!(all(&[b"event: only\n\n"]), []);
        assert_eq!(all(&[b"data\n\n"]), [ev("", "")]);
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut p = SseParser::new();
        let big = vec![b'x'; MAX_LINE + 1];
        assert!(p.push(&big).is_err());
    }
}
