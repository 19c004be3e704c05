//! The Rust mirror of the C ABI (`src/crypto/ffi.rs`) must match `zig/include/zcrypto.h`
//! field for field: same names, same order, same parameter and return types, and the
//! same constants. (The Zig side is checked by the Zig compiler through translate-c.)

const HEADER: &str = include_str!("../../../zig/include/zcrypto.h");
const FFI: &str = include_str!("../src/crypto/ffi.rs");

fn strip_c_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("closed comment");
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).expect(start) + start.len();
    let to = from + text[from..].find(end).expect(end);
    &text[from..to]
}

/// A C type (parameter name removed) as the Rust type it must be.
fn c_to_rust(c_param: &str) -> String {
    let words: Vec<&str> = c_param.split_whitespace().collect();
    let pointer = c_param.contains('*');
    let is_const = words.first() == Some(&"const");
    let base = words
        .iter()
        .find(|w| !matches!(**w, "const") && !w.starts_with('*'))
        .expect("a type")
        .trim_end_matches('*');
    let scalar = match base {
        "uint8_t" => "u8",
        "uint32_t" => "u32",
        "size_t" => "usize",
        "int" => "c_int",
        "char" => "c_char",
        "void" if !pointer => "()",
        "void" => "c_void",
        other => panic!("no Rust mapping for C type {other}"),
    };
    match (pointer, is_const) {
        (false, _) => scalar.to_string(),
        (true, true) => format!("*const {scalar}"),
        (true, false) => format!("*mut {scalar}"),
    }
}

/// (name, [parameter types], return type) of each `struct zc_api` field in the header.
fn header_fields() -> Vec<(String, Vec<String>, String)> {
    let header = strip_c_comments(HEADER);
    let body = between(&header, "typedef struct zc_api {", "} zc_api;");
    body.split(';')
        .map(|f| f.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|f| !f.is_empty())
        .map(|field| {
            if let Some(open) = field.find("(*") {
                let ret = c_to_rust(&field[..open]);
                let close = open + field[open..].find(')').unwrap();
                let name = field[open + 2..close].trim().to_string();
                let params = between(&field[close..], "(", ")");
                let types = params
                    .split(',')
                    .map(|p| {
                        // Drop the parameter name (the last identifier).
                        let p = p.trim();
                        let cut = p
                            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .unwrap();
                        c_to_rust(&p[..=cut])
                    })
                    .collect();
                (name, types, ret)
            } else {
                let cut = field.rfind(' ').unwrap();
                let name = field[cut + 1..].trim_start_matches('*').to_string();
                (
                    name,
                    vec![],
                    c_to_rust(&field[..cut + 1 + field[cut + 1..].matches('*').count()]),
                )
            }
        })
        .collect()
}

/// The same triples read from the Rust `ZcApi` struct.
fn rust_fields() -> Vec<(String, Vec<String>, String)> {
    let body = between(FFI, "pub struct ZcApi {", "\n}");
    body.split("pub ")
        .map(|f| f.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|f| !f.is_empty())
        .map(|field| {
            let (name, ty) = field.split_once(':').expect("name: type");
            let ty = ty.trim().trim_end_matches(',').trim();
            if let Some(signature) = ty.strip_prefix("unsafe extern \"C\" fn") {
                let params = between(signature, "(", ")");
                let types = params
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| p.split_once(':').expect("param: type").1.trim().to_string())
                    .collect();
                let ret = signature
                    .split_once("->")
                    .map_or("()".to_string(), |(_, r)| r.trim().to_string());
                (name.trim().to_string(), types, ret)
            } else {
                (name.trim().to_string(), vec![], ty.to_string())
            }
        })
        .collect()
}

#[test]
fn header_matches() {
    let header = header_fields();
    let rust = rust_fields();
    assert!(header.len() > 20, "parsed {} header fields", header.len());
    for (i, (h, r)) in header.iter().zip(&rust).enumerate() {
        assert_eq!(h, r, "field {i} differs between zcrypto.h and ffi.rs");
    }
    assert_eq!(header.len(), rust.len(), "field count");
}

#[test]
fn constants_match() {
    let mut checked = 0;
    for line in HEADER.lines() {
        let Some(rest) = line.strip_prefix("#define ZC_") else {
            continue;
        };
        let mut parts = rest.split_whitespace();
        let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        let value: i64 = value
            .trim_matches(|c| c == '(' || c == ')')
            .parse()
            .expect(name);
        let rust_line = FFI
            .lines()
            .find(|l| l.contains(&format!("pub const ZC_{name}:")))
            .unwrap_or_else(|| panic!("ffi.rs lacks ZC_{name}"));
        let rust_value: i64 = rust_line
            .split('=')
            .nth(1)
            .unwrap()
            .trim()
            .trim_end_matches(';')
            .parse()
            .unwrap();
        assert_eq!(rust_value, value, "ZC_{name}");
        checked += 1;
    }
    assert!(checked >= 20, "checked {checked} constants");
}
