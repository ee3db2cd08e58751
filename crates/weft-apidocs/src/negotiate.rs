//! The two request headers an asset response depends on: `Accept-Encoding` and `If-None-Match`.

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT_ENCODING, IF_NONE_MATCH};

/// Whether the request's `Accept-Encoding` allows a gzip body (RFC 9110 §12.5.3): `gzip` or
/// `x-gzip` with a non-zero quality, or else `*` with one. No header means no gzip: the body
/// is sent as it is, which every client understands.
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip: Option<f32> = None;
    let mut any: Option<f32> = None;
    let items = headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for item in items {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        let Some(q) = quality(parts) else { continue };
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(gzip.map_or(q, |old| old.max(q)));
        } else if coding == "*" {
            any = Some(q);
        }
    }
    gzip.or(any).is_some_and(|q| q > 0.0)
}

/// The `q` parameter of one `Accept-Encoding` item (1 when absent), or `None` when it is not a
/// number from 0 to 1 (such an item is ignored).
fn quality<'a>(params: impl Iterator<Item = &'a str>) -> Option<f32> {
    for param in params {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("q") {
            return value
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|q| (0.0..=1.0).contains(q));
        }
    }
    Some(1.0)
}

/// Whether `If-None-Match` is `*` or lists `etag` (a quoted entity tag). The comparison is the
/// weak one, as RFC 9110 §13.1.2 asks for this header: `W/"x"` matches `"x"`.
pub(crate) fn none_match_hits(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use axum::http::header::HeaderName;

    fn headers(name: HeaderName, values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(name.clone(), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn gzip_is_accepted_when_listed_with_a_positive_quality() {
        let cases: &[(&[&'static str], bool)] = &[
            (&[], false),
            (&["gzip"], true),
            (&["GZip"], true),
            (&["x-gzip"], true),
            (&["gzip, deflate, br, zstd"], true),
            (&["br", "gzip;q=0.5"], true),
            (&["gzip;q=0"], false),
            (&["gzip; q=0.000"], false),
            (&["identity"], false),
            (&["br, deflate"], false),
            (&["*"], true),
            (&["*;q=0"], false),
            (&["*, gzip;q=0"], false),
            (&["gzip;q=0, *"], false),
            (&["gzip;q=2"], false),
            (&["gzip;q=abc, *;q=0.1"], true),
            (&["gzip;level=9"], true),
        ];
        for (values, expected) in cases {
            assert_eq!(
                accepts_gzip(&headers(ACCEPT_ENCODING, values)),
                *expected,
                "{values:?}"
            );
        }
    }

    #[test]
    fn if_none_match_uses_the_weak_comparison() {
        let etag = "\"abc\"";
        let cases: &[(&[&'static str], bool)] = &[
            (&[], false),
            (&["\"abc\""], true),
            (&["W/\"abc\""], true),
            (&["\"x\", \"abc\""], true),
            (&["\"x\"", "\"abc\""], true),
            (&["*"], true),
            (&["\"abcd\""], false),
            (&["abc"], false),
        ];
        for (values, expected) in cases {
            assert_eq!(
                none_match_hits(&headers(IF_NONE_MATCH, values), etag),
                *expected,
                "{values:?}"
            );
        }
    }
}
