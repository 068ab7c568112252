//! The emulator's own key pair (`local.key`, `local.crt`) and reading app certificates.
//!
//! On first start the emulator writes a fresh RSA-2048 private key (PKCS#8 PEM, mode 0600) and
//! a self-signed certificate for it, the pair a real Connected App is set up with, made by
//! the same [`d360_wire::keypair`] as `d360 auth keygen`. Each app's
//! certificate becomes the RS256 key its JWT assertions are verified against.

use std::path::{Path, PathBuf};

use jsonwebtoken::DecodingKey;
use secrecy::ExposeSecret;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::{EmulatorError, files};
use d360_wire::keypair as keygen;

/// File name of the private key in the data directory.
pub(crate) const KEY_FILE: &str = "local.key";
/// File name of the certificate in the data directory.
pub(crate) const CERTIFICATE_FILE: &str = "local.crt";
/// Validity of the generated certificate: ten years, an emulator's key need not rotate.
const CERTIFICATE_DAYS: u32 = 3650;

/// Writes `local.key` and `local.crt` into `dir` unless both already exist.
pub(crate) fn ensure_key_pair(dir: &Path) -> Result<(), EmulatorError> {
    let key_path = dir.join(KEY_FILE);
    let certificate_path = dir.join(CERTIFICATE_FILE);
    if key_path.exists() && certificate_path.exists() {
        return Ok(());
    }
    let pair = keygen::generate("d360 local emulator", CERTIFICATE_DAYS).map_err(EmulatorError::KeyGeneration)?;
    keygen::write_private(&key_path, pair.private_key_pem.expose_secret().as_bytes())
        .map_err(|source| EmulatorError::Write { path: key_path, source })?;
    files::write_atomically(&certificate_path, pair.certificate_pem.as_bytes())
}

/// The RS256 verification key in the X.509 PEM certificate at `path`.
pub(crate) fn certificate_key(path: &Path) -> Result<DecodingKey, EmulatorError> {
    let bad = |message: String| EmulatorError::Certificate {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read(path).map_err(|source| EmulatorError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let (_, pem) =
        x509_parser::pem::parse_x509_pem(&text).map_err(|error| bad(format!("not a PEM certificate ({error})")))?;
    if pem.label != "CERTIFICATE" {
        return Err(bad(format!(
            "expected a `CERTIFICATE` PEM block, found `{}`",
            pem.label
        )));
    }
    let (_, certificate) =
        X509Certificate::from_der(&pem.contents).map_err(|error| bad(format!("not an X.509 certificate ({error})")))?;
    match certificate.public_key().parsed() {
        // The SPKI bit string of an RSA key is its PKCS#1 `RSAPublicKey`, which is what
        // `from_rsa_der` takes.
        Ok(PublicKey::RSA(_)) => Ok(DecodingKey::from_rsa_der(
            &certificate.public_key().subject_public_key.data,
        )),
        Ok(_) => Err(bad(
            "the certificate's key is not RSA; JWT bearer needs RS256".to_owned()
        )),
        Err(error) => Err(bad(format!("cannot read the public key ({error})"))),
    }
}

/// Resolves a certificate path from `emulator.yaml`: relative paths are relative to `dir`.
pub(crate) fn resolve(dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        dir.join(path)
    }
}
