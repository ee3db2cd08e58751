//! The files under `/api/docs/assets/`: Swagger UI's, compressed by `build.rs`, and this
//! crate's own, compressed once on first use. Each is kept gzip-compressed only.

use crate::negotiate;
use axum::body::Bytes;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, VARY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::sync::LazyLock;

/// One file of `swagger-ui-dist`, as `build.rs` embedded it.
pub(crate) struct Vendored {
    /// The file's name in the package.
    name: &'static str,
    content_type: &'static str,
    /// 16 hex digits of the SHA-256 of the uncompressed file.
    hash: &'static str,
    /// Uncompressed size.
    len: usize,
    gzip: &'static [u8],
}

// `SWAGGER_UI_VERSION`, `VENDORED`, `LICENSE_GZ`, `LICENSE_HASH`.
include!(concat!(env!("OUT_DIR"), "/vendored.rs"));

/// This crate's own files: the script that starts Swagger UI and a few styles.
const OWN: &[(&str, &str, &[u8])] = &[
    (
        "init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("static/init.js"),
    ),
    (
        "docs.css",
        "text/css; charset=utf-8",
        include_bytes!("static/docs.css"),
    ),
];

/// A file served gzip-compressed, or decompressed for a client that does not take gzip.
pub(crate) struct Asset {
    /// The file's name, e.g. `swagger-ui-bundle.js`.
    pub(crate) name: &'static str,
    /// The name in its URL, with the content hash: `swagger-ui-bundle.0123456789abcdef.js`.
    pub(crate) url_name: String,
    content_type: &'static str,
    /// Uncompressed size.
    len: usize,
    gzip: Bytes,
    /// Strong entity tags, one per representation: a gzip body and a plain one are different
    /// byte sequences, so they must not share a strong validator.
    etag_plain: String,
    etag_gzip: String,
}

impl Asset {
    fn new(
        name: &'static str,
        content_type: &'static str,
        hash: &str,
        len: usize,
        gzip: Bytes,
    ) -> Asset {
        let url_name = match name.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
            None => format!("{name}.{hash}"),
        };
        Asset {
            name,
            url_name,
            content_type,
            len,
            gzip,
            etag_plain: format!("\"{hash}\""),
            etag_gzip: format!("\"{hash}-gzip\""),
        }
    }

    fn own(name: &'static str, content_type: &'static str, bytes: &[u8]) -> Asset {
        let hash = hex16(&Sha256::digest(bytes));
        Asset::new(name, content_type, &hash, bytes.len(), gzip(bytes))
    }

    /// The response to `GET` of this asset: 304 when `If-None-Match` names the representation
    /// the client would get, else the body, gzip-compressed when the client accepts that.
    pub(crate) fn respond(&self, request: &HeaderMap, cache_control: &'static str) -> Response {
        let gzip = negotiate::accepts_gzip(request);
        let etag = if gzip {
            &self.etag_gzip
        } else {
            &self.etag_plain
        };
        let mut headers = HeaderMap::new();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
        headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
        if let Ok(value) = HeaderValue::from_str(etag) {
            headers.insert(ETAG, value);
        }
        if negotiate::none_match_hits(request, etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        if gzip {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            return (headers, self.gzip.clone()).into_response();
        }
        // Rare (browsers and most clients send gzip), so not worth keeping a plain copy.
        let mut plain = Vec::with_capacity(self.len);
        match GzDecoder::new(&self.gzip[..]).read_to_end(&mut plain) {
            Ok(_) => (headers, plain).into_response(),
            Err(_) => crate::error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "an embedded asset could not be decompressed",
            ),
        }
    }
}

/// Every asset, and the license notice.
pub(crate) struct Assets {
    files: Vec<Asset>,
    /// Served at a stable URL (`/api/docs/license`), so not under `assets/`.
    pub(crate) license: Asset,
}

impl Assets {
    /// The asset whose URL ends in `url_name`.
    pub(crate) fn get(&self, url_name: &str) -> Option<&Asset> {
        self.files.iter().find(|asset| asset.url_name == url_name)
    }

    /// The URL path of the asset named `name` (its file name, without the hash).
    pub(crate) fn path(&self, name: &str) -> String {
        let url_name = self
            .files
            .iter()
            .find(|asset| asset.name == name)
            .map_or(name, |asset| &asset.url_name);
        format!("{}/{url_name}", crate::ASSETS_PATH)
    }

    /// Every asset.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Asset> {
        self.files.iter()
    }
}

/// The assets, built on first use (compressing this crate's own two small files).
pub(crate) fn assets() -> &'static Assets {
    static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
        let vendored = VENDORED.iter().map(|file| {
            Asset::new(
                file.name,
                file.content_type,
                file.hash,
                file.len,
                Bytes::from_static(file.gzip),
            )
        });
        let own = OWN
            .iter()
            .map(|(name, content_type, bytes)| Asset::own(name, content_type, bytes));
        Assets {
            files: vendored.chain(own).collect(),
            license: Asset::new(
                "LICENSE.txt",
                "text/plain; charset=utf-8",
                LICENSE_HASH,
                0,
                Bytes::from_static(LICENSE_GZ),
            ),
        }
    });
    &ASSETS
}

fn gzip(bytes: &[u8]) -> Bytes {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    Bytes::from(encoder.finish().unwrap_or_default())
}

fn hex16(digest: &[u8]) -> String {
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_files_round_trip_through_gzip() {
        for (name, _, bytes) in OWN {
            let asset = assets()
                .iter()
                .find(|a| a.name == *name)
                .expect("own asset listed");
            let mut plain = Vec::new();
            GzDecoder::new(&asset.gzip[..])
                .read_to_end(&mut plain)
                .expect("valid gzip");
            assert_eq!(&plain[..], *bytes);
        }
    }

    #[test]
    fn url_names_carry_the_content_hash_before_the_extension() {
        let asset = Asset::new("a.b.js", "text/javascript", "0123", 0, Bytes::new());
        assert_eq!(asset.url_name, "a.b.0123.js");
        assert_eq!(asset.etag_plain, "\"0123\"");
        assert_eq!(asset.etag_gzip, "\"0123-gzip\"");
    }
}
