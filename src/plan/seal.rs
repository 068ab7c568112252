//! The seal of a saved plan: a SHA-256 digest of its content and, with `D360_PLAN_KEY`, an
//! HMAC-SHA256 signature of the same bytes, written as the file's last two fields:
//!
//! ```text
//! {
//!   "formatVersion": 1,
//!   ...                                     <- the content: every byte up to the trailer
//!   "api": { ... },
//!   "digest": "sha256:<64 hex>",            <- the trailer
//!   "signature": "hmac-sha256:<64 hex>"
//! }
//! ```
//!
//! Both are computed while the file is written (streamed) and over its content when it is
//! read. A reader accepts only this exact trailer, so nothing outside the sealed
//! bytes can change what the plan says.

use std::io::Write;

use aws_lc_rs::{digest, hmac};
use secrecy::{ExposeSecret, SecretString};

/// The environment variable holding the signing key.
pub(crate) const KEY_VARIABLE: &str = "D360_PLAN_KEY";
/// The shortest key accepted, in bytes.
const MIN_KEY_BYTES: usize = 16;
/// What separates the content from the trailer.
const TRAILER_START: &str = ",\n  \"digest\": \"sha256:";

/// Why a key cannot be used. Never holds the key.
#[derive(Debug, thiserror::Error)]
#[error("{KEY_VARIABLE} is set but shorter than {MIN_KEY_BYTES} bytes; use a long random secret")]
pub(crate) struct ShortKey;

/// The signing key from `D360_PLAN_KEY`, if set (an empty value counts as unset).
pub(crate) fn key_from_env() -> Result<Option<SecretString>, ShortKey> {
    match std::env::var(KEY_VARIABLE) {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) if value.len() < MIN_KEY_BYTES => Err(ShortKey),
        Ok(value) => Ok(Some(SecretString::from(value))),
        Err(_) => Ok(None),
    }
}

/// Digest and signature computed over a stream of bytes.
pub(crate) struct Sealer {
    digest: digest::Context,
    signature: Option<hmac::Context>,
}

impl Sealer {
    pub(crate) fn new(key: Option<&SecretString>) -> Self {
        Self {
            digest: digest::Context::new(&digest::SHA256),
            signature: key.map(|key| {
                let key = hmac::Key::new(hmac::HMAC_SHA256, key.expose_secret().as_bytes());
                hmac::Context::with_key(&key)
            }),
        }
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.digest.update(bytes);
        if let Some(signature) = &mut self.signature {
            signature.update(bytes);
        }
    }

    /// `(sha256 hex, hmac-sha256 hex when keyed)`.
    pub(crate) fn finish(self) -> (String, Option<String>) {
        (
            hex::encode(self.digest.finish().as_ref()),
            self.signature.map(|s| hex::encode(s.sign().as_ref())),
        )
    }
}

/// A writer that seals what passes through it, holding back the last two bytes (the
/// closing `\n}` of the JSON object) so the trailer can be written in their place.
pub(crate) struct SealingWriter<'w> {
    inner: &'w mut dyn Write,
    sealer: Sealer,
    held: Vec<u8>,
}

impl<'w> SealingWriter<'w> {
    pub(crate) fn new(inner: &'w mut dyn Write, key: Option<&SecretString>) -> Self {
        Self {
            inner,
            sealer: Sealer::new(key),
            held: Vec::with_capacity(2),
        }
    }

    /// Replaces the object's closing `\n}` with the trailer.
    pub(crate) fn close(self) -> std::io::Result<()> {
        if self.held != b"\n}" {
            return Err(std::io::Error::other("the plan did not end as a JSON object"));
        }
        let (digest, signature) = self.sealer.finish();
        let mut trailer = format!("{TRAILER_START}{digest}\"");
        if let Some(signature) = signature {
            trailer.push_str(&format!(",\n  \"signature\": \"hmac-sha256:{signature}\""));
        }
        trailer.push_str("\n}\n");
        self.inner.write_all(trailer.as_bytes())
    }
}

impl Write for SealingWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        // What was held back is content after all when more follows.
        self.held.extend_from_slice(bytes);
        if self.held.len() > 2 {
            let ready = self.held.len() - 2;
            self.inner.write_all(&self.held[..ready])?;
            self.sealer.update(&self.held[..ready]);
            self.held.drain(..ready);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The trailer of a saved plan, as read from its end.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Trailer {
    /// Where the content ends (the trailer's first byte).
    pub(crate) content_len: u64,
    pub(crate) digest: String,
    pub(crate) signature: Option<String>,
}

fn is_hex64(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Finds the trailer in the last bytes of a file of `len` bytes (`tail`); `None` unless it
/// is exactly the form [`SealingWriter::close`] writes.
#[must_use]
pub(crate) fn find_trailer(tail: &[u8], len: u64) -> Option<Trailer> {
    let text = std::str::from_utf8(tail).ok()?;
    let at = text.rfind(TRAILER_START)?;
    let rest = text[at + TRAILER_START.len()..].strip_suffix("\n}\n")?;
    let (digest, rest) = rest.split_once('"')?;
    let signature = if rest.is_empty() {
        None
    } else {
        let signature = rest
            .strip_prefix(",\n  \"signature\": \"hmac-sha256:")?
            .strip_suffix('"')?;
        Some(signature.to_owned())
    };
    if !is_hex64(digest) || !signature.as_deref().is_none_or(is_hex64) {
        return None;
    }
    Some(Trailer {
        content_len: len - (tail.len() - at) as u64,
        digest: digest.to_owned(),
        signature,
    })
}

/// Compares two hex signatures in constant time.
#[must_use]
pub(crate) fn same_signature(expected: &str, found: &str) -> bool {
    let (Ok(expected), Ok(found)) = (hex::decode(expected), hex::decode(found)) else {
        return false;
    };
    expected.len() == found.len() && aws_lc_rs::constant_time::verify_slices_are_equal(&expected, &found).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(content: &str, key: Option<&SecretString>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut writer = SealingWriter::new(&mut out, key);
        writer.write_all(content.as_bytes()).expect("write");
        writer.close().expect("close");
        out
    }

    #[test]
    fn a_sealed_file_reads_back_with_the_same_digest_and_signature() {
        let key = SecretString::from("0123456789abcdef-key");
        for key in [None, Some(&key)] {
            let file = sealed("{\n  \"a\": 1\n}", key);
            let text = String::from_utf8(file.clone()).expect("text");
            serde_json::from_str::<serde_json::Value>(&text).expect("still JSON");
            let trailer = find_trailer(&file, file.len() as u64).expect("a trailer");
            assert_eq!(trailer.content_len, "{\n  \"a\": 1".len() as u64);
            let mut sealer = Sealer::new(key);
            sealer.update(&file[..usize::try_from(trailer.content_len).expect("small")]);
            let (digest, signature) = sealer.finish();
            assert_eq!(digest, trailer.digest);
            assert_eq!(signature, trailer.signature);
            assert_eq!(key.is_some(), signature.is_some());
        }
    }

    #[test]
    fn only_the_exact_trailer_is_accepted() {
        let file = String::from_utf8(sealed("{\n  \"a\": 1\n}", None)).expect("text");
        for edited in [
            file.replace("\n}\n", "\n}\n "),
            file.replace("sha256:", "sha256:0"),
            file.replace("\n}\n", ",\n  \"b\": 2\n}\n"),
            "{\n  \"a\": 1\n}\n".to_owned(),
        ] {
            assert_eq!(find_trailer(edited.as_bytes(), edited.len() as u64), None, "{edited}");
        }
    }
}
