//! Against the real small model (filled in below).
