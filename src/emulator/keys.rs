//! The emulator's own key pair (`local.key`, `local.crt`) and reading app certificates.
//!
//! On first start the emulator writes a fresh RSA-2048 private key (PKCS#8 PEM, mode 0600) and
//! a self-signed certificate for it, the pair a real Connected App is set up with. Each app's
//! certificate becomes the RS256 key its JWT assertions are verified against.

use std::io::Write;
use std::path::{Path, PathBuf};

use jsonwebtoken::DecodingKey;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::EmulatorError;

/// File name of the private key in the data directory.
pub(crate) const KEY_FILE: &str = "local.key";
/// File name of the certificate in the data directory.
pub(crate) const CERTIFICATE_FILE: &str = "local.crt";

/// Writes `local.key` and `local.crt` into `dir` unless both already exist.
pub(crate) fn ensure_key_pair(dir: &Path) -> Result<(), EmulatorError> {
    let key_path = dir.join(KEY_FILE);
    let certificate_path = dir.join(CERTIFICATE_FILE);
    if key_path.exists() && certificate_path.exists() {
        return Ok(());
    }
    let (key_pem, certificate_pem) = generate_key_pair()?;
    write_private(&key_path, key_pem.as_bytes())?;
    std::fs::write(&certificate_path, certificate_pem)
        .map_err(|source| EmulatorError::Write { path: certificate_path, source })
}

/// A fresh RSA-2048 key (PKCS#8 PEM) and a self-signed certificate for it (PEM).
fn generate_key_pair() -> Result<(String, String), EmulatorError> {
    let failed = |error: rcgen::Error| EmulatorError::KeyGeneration(error.to_string());
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).map_err(failed)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).map_err(failed)?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "d360 local emulator");
    params.distinguished_name.push(rcgen::DnType::OrganizationName, "d360");
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    let certificate = params.self_signed(&key).map_err(failed)?;
    Ok((key.serialize_pem(), certificate.pem()))
}

/// Writes a secret file readable by its owner only.
fn write_private(path: &Path, contents: &[u8]) -> Result<(), EmulatorError> {
    let failed = |source| EmulatorError::Write { path: path.to_path_buf(), source };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(failed)?;
    #[cfg(unix)]
    {
        // `mode` applies only when the file is created; an old key file is tightened too.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(failed)?;
    }
    file.write_all(contents).map_err(failed)?;
    file.sync_all().map_err(failed)
}

/// The RS256 verification key in the X.509 PEM certificate at `path`.
pub(crate) fn certificate_key(path: &Path) -> Result<DecodingKey, EmulatorError> {
    let bad = |message: String| EmulatorError::Certificate { path: path.to_path_buf(), message };
    let text = std::fs::read(path)
        .map_err(|source| EmulatorError::Read { path: path.to_path_buf(), source })?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(&text)
        .map_err(|error| bad(format!("not a PEM certificate ({error})")))?;
    if pem.label != "CERTIFICATE" {
        return Err(bad(format!("expected a `CERTIFICATE` PEM block, found `{}`", pem.label)));
    }
    let (_, certificate) = X509Certificate::from_der(&pem.contents)
        .map_err(|error| bad(format!("not an X.509 certificate ({error})")))?;
    match certificate.public_key().parsed() {
        // The SPKI bit string of an RSA key is its PKCS#1 `RSAPublicKey`, which is what
        // `from_rsa_der` takes.
        Ok(PublicKey::RSA(_)) => {
            Ok(DecodingKey::from_rsa_der(&certificate.public_key().subject_public_key.data))
        }
        Ok(_) => Err(bad("the certificate's key is not RSA; JWT bearer needs RS256".to_owned())),
        Err(error) => Err(bad(format!("cannot read the public key ({error})"))),
    }
}

/// Resolves a certificate path from `emulator.yaml`: relative paths are relative to `dir`.
pub(crate) fn resolve(dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() { path.to_path_buf() } else { dir.join(path) }
}
