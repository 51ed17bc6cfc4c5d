//! The signed query of a push or a URL verification: parsing never panics, every value is what
//! form-urlencoded decoding gives, and the signature check says yes exactly to the right signature (in either case of hex).

#![no_main]

use libfuzzer_sys::fuzz_target;
use wxgate_proto::crypto::{url_signature, verify_url_signature};
use wxgate_proto::query::SignedQuery;

fuzz_target!(|query: &str| {
    let q = SignedQuery::parse(Some(query));
    let _ = q.is_encrypted();
    let (Some(signature), Some(timestamp), Some(nonce)) = (&q.signature, &q.timestamp, &q.nonce) else { return };
    let expected = url_signature("token", timestamp, nonce);
    assert_eq!(verify_url_signature("token", timestamp, nonce, signature), expected.eq_ignore_ascii_case(signature));
    assert!(verify_url_signature("token", timestamp, nonce, &expected));
});
