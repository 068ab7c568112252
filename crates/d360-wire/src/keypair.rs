//! Key pairs for JWT bearer: an RSA-2048 private key (PKCS#8 PEM) and a self-signed X.509
//! certificate for it, the pair a Connected App is set up with. Used by `d360 auth keygen`
//! and by the emulator for its own `local` app.

use std::path::Path;

use secrecy::SecretString;

/// A fresh key pair.
pub struct KeyPair {
    pub private_key_pem: SecretString,
    pub certificate_pem: String,
}

/// Generates an RSA-2048 key and a self-signed certificate valid for `days` (from yesterday,
/// so a slightly slow clock elsewhere does not reject it).
///
/// # Errors
/// The crypto library failed (not expected in practice).
pub fn generate(common_name: &str, days: u32) -> Result<KeyPair, String> {
    let failed = |error: rcgen::Error| error.to_string();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).map_err(failed)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    params.distinguished_name.push(rcgen::DnType::CommonName, common_name);
    params.distinguished_name.push(rcgen::DnType::OrganizationName, "d360");
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(i64::from(days));
    let certificate = params.self_signed(&key).map_err(failed)?;
    Ok(KeyPair {
        private_key_pem: SecretString::from(key.serialize_pem()),
        certificate_pem: certificate.pem(),
    })
}

/// Writes a file readable by its owner only (mode 0600 on Unix), tightening an old one too,
/// atomically.
///
/// # Errors
/// The file cannot be created or written.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    crate::files::write_atomic(path, contents, true)
}
