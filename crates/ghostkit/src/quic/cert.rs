//! Development certificates: a throw-away CA and a leaf it signs.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

use super::Error;

/// A CA certificate and a leaf certificate signed by it, all PEM-encoded.
#[derive(Clone, Debug)]
pub struct GeneratedCertificate {
    /// The CA certificate (trust anchor for clients: pass it as `ca`).
    pub ca_cert: String,
    /// The CA's private key (PKCS#8), for signing further leaves.
    pub ca_key: String,
    /// The leaf certificate (`CA:FALSE`) for the server (or a client, for mTLS).
    pub cert: String,
    /// The leaf's private key (PKCS#8).
    pub key: String,
}

/// Makes a CA and a leaf with `CA:FALSE` whose subject alternative names are `names`
/// (DNS names or IP addresses). Peers such as aioquic reject a self-signed leaf, so
/// tests and examples use this pair instead.
///
/// ```
/// let pair = ghostkit::quic::generate_certificate(&["localhost".into(), "127.0.0.1".into()]).unwrap();
/// assert!(pair.cert.starts_with("-----BEGIN CERTIFICATE-----"));
/// ```
pub fn generate_certificate(names: &[String]) -> Result<GeneratedCertificate, Error> {
    let tls = |e: rcgen::Error| Error::Tls(format!("certificate generation failed: {e}"));
    let ca_key = KeyPair::generate().map_err(tls)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name = DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ghostkit development CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(tls)?;
    let issuer = Issuer::new(ca_params, &ca_key);

    let leaf_key = KeyPair::generate().map_err(tls)?;
    let mut leaf_params = CertificateParams::new(names.to_vec()).map_err(tls)?;
    leaf_params.is_ca = IsCa::ExplicitNoCa;
    leaf_params.distinguished_name = DistinguishedName::new();
    let common_name = names.first().map(String::as_str).unwrap_or("ghostkit");
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).map_err(tls)?;
    Ok(GeneratedCertificate {
        ca_cert: ca_cert.pem(),
        ca_key: ca_key.serialize_pem(),
        cert: leaf.pem(),
        key: leaf_key.serialize_pem(),
    })
}
