//! Random identifiers: access tokens, media ids, request ids. Kept apart from the state so anything that answers a
//! request can make one without reaching into the simulator's state.

use rand::Rng;

/// A random id of `len` URL-safe characters (`[A-Za-z0-9_-]`).
pub(crate) fn random_id(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut rng = rand::rng();
    (0..len).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_and_alphabet() {
        let id = random_id(64);
        assert_eq!(id.len(), 64);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
    }
}
