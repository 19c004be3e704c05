//! Strict DER (X.690) for ECDSA signatures: `SEQUENCE { INTEGER r, INTEGER s }`.
//!
//! Parsing accepts only the one canonical encoding (minimal lengths and integers, no
//! trailing bytes), as Bitcoin's BIP 66 and Wycheproof require.
//!
//! ```
//! use ghostkit::crypto::der;
//!
//! let mut compact = [0u8; 64];
//! compact[31] = 1;
//! compact[63] = 0x80;
//! let encoded = der::encode_signature(&compact);
//! assert_eq!(encoded, [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80]);
//! assert_eq!(der::decode_signature(&encoded).unwrap(), compact);
//! ```

use super::Error;

/// Encodes a compact `r || s` signature as DER.
pub fn encode_signature(compact: &[u8; 64]) -> Vec<u8> {
    let r = encode_integer(&compact[..32]);
    let s = encode_integer(&compact[32..]);
    let mut out = Vec::with_capacity(2 + r.len() + s.len());
    out.push(0x30);
    // At most 2 × 35 bytes: always the short length form.
    out.push((r.len() + s.len()) as u8);
    out.extend_from_slice(&r);
    out.extend_from_slice(&s);
    out
}

fn encode_integer(value: &[u8]) -> Vec<u8> {
    let start = value
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(value.len() - 1);
    let magnitude = &value[start..];
    let pad = magnitude[0] & 0x80 != 0;
    let mut out = Vec::with_capacity(3 + magnitude.len());
    out.push(0x02);
    out.push((magnitude.len() + usize::from(pad)) as u8);
    if pad {
        out.push(0);
    }
    out.extend_from_slice(magnitude);
    out
}

/// Decodes a strict-DER signature into compact `r || s`.
/// [`Error::InvalidSignature`] for anything but the canonical encoding of two
/// non-negative integers below 2^256.
pub fn decode_signature(der: &[u8]) -> Result<[u8; 64], Error> {
    let body = match der {
        [0x30, len, body @ ..] if usize::from(*len) == body.len() && *len < 0x80 => body,
        _ => return Err(Error::InvalidSignature),
    };
    let (r, rest) = decode_integer(body)?;
    let (s, rest) = decode_integer(rest)?;
    if !rest.is_empty() {
        return Err(Error::InvalidSignature);
    }
    let mut compact = [0u8; 64];
    compact[32 - r.len()..32].copy_from_slice(r);
    compact[64 - s.len()..].copy_from_slice(s);
    Ok(compact)
}

/// One INTEGER: its big-endian magnitude (no sign byte) and the bytes after it.
fn decode_integer(input: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let [0x02, len, rest @ ..] = input else {
        return Err(Error::InvalidSignature);
    };
    let len = usize::from(*len);
    if len == 0 || len >= 0x80 || len > rest.len() {
        return Err(Error::InvalidSignature);
    }
    let (value, rest) = rest.split_at(len);
    if value[0] & 0x80 != 0 {
        return Err(Error::InvalidSignature); // negative
    }
    let magnitude = if value[0] == 0 && len > 1 {
        if value[1] & 0x80 == 0 {
            return Err(Error::InvalidSignature); // a needless leading zero
        }
        &value[1..]
    } else {
        value
    };
    if magnitude.len() > 32 {
        return Err(Error::InvalidSignature);
    }
    Ok((magnitude, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_canonical_encodings() {
        let bad: [&[u8]; 7] = [
            &[0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00], // trailing byte
            &[0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01], // long-form length
            &[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01], // needless zero
            &[0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01],       // negative r
            &[0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01],             // empty integer
            &[0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01],       // not a SEQUENCE
            &[0x30, 0x03, 0x02, 0x01, 0x01],                         // one integer
        ];
        for der in bad {
            assert_eq!(
                decode_signature(der),
                Err(Error::InvalidSignature),
                "{der:02x?}"
            );
        }
    }

    #[test]
    fn round_trips_full_width_values() {
        let mut compact = [0xffu8; 64];
        compact[0] = 0x7f;
        assert_eq!(
            decode_signature(&encode_signature(&compact)).unwrap(),
            compact
        );
        let zero_r = [0u8; 64];
        assert_eq!(
            decode_signature(&encode_signature(&zero_r)).unwrap(),
            zero_r
        );
    }
}
