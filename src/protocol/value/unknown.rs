//! Unknown values in msgpack, as cty's `msgpack/unknown.go` writes them: a plain unknown is
//! the fixext1 `d4 00 00`; since Terraform 1.6 an unknown with refinements is extension
//! 0x0c whose payload is a msgpack map from small integer keys to what is known.

use rmpv::{Value as Msgpack, ValueRef};

use super::msgpack::{decode_number, encode_number};
use super::tree::{NumberBound, Refinements, Value};
use super::types::Type;

/// Extension type of a refined unknown.
pub(crate) const REFINED_EXT: i8 = 0x0c;

/// cty refuses larger refinement payloads; we ignore their contents instead.
const MAX_PAYLOAD: usize = 1024;
/// cty shortens longer string prefixes before sending them.
const MAX_PREFIX: usize = 256;

const KEY_NULLNESS: i64 = 1;
const KEY_STRING_PREFIX: i64 = 2;
const KEY_NUMBER_MIN: i64 = 3;
const KEY_NUMBER_MAX: i64 = 4;
const KEY_LENGTH_MIN: i64 = 5;
const KEY_LENGTH_MAX: i64 = 6;

/// A plain unknown: extension type 0 with one zero byte (cty's most compact form).
pub(crate) fn plain() -> Msgpack {
    Msgpack::Ext(0, vec![0])
}

/// Any extension is an unknown. Refinements are kept when the payload is one cty would
/// accept for `ty`; anything odd about it leaves a plain unknown rather than an error.
/// A refinement that says nothing (a length of at least 0, an empty prefix, an infinite
/// bound, a length limit past what cty can hold) is dropped, and a prefix is shortened,
/// as [`encode`] does: one meaning, one value, so what decodes encodes back to itself.
pub(crate) fn decode(code: i8, payload: &[u8], ty: &Type) -> Value {
    if payload.len() <= 1
        || code != REFINED_EXT
        || payload.len() > MAX_PAYLOAD
        || *ty == Type::Dynamic
    {
        return Value::unknown();
    }
    let mut reader = payload;
    let Ok(ValueRef::Map(entries)) = rmpv::decode::read_value_ref(&mut reader) else {
        return Value::unknown();
    };
    let mut refinements = Refinements::default();
    for (key, value) in &entries {
        let ValueRef::Integer(key) = key else {
            return Value::unknown();
        };
        let accepted = match key.as_i64() {
            Some(KEY_NULLNESS) => match value {
                // "Definitely null" makes the value a known null, as in cty.
                ValueRef::Boolean(true) => return Value::Null,
                ValueRef::Boolean(false) => {
                    refinements.not_null = true;
                    true
                }
                _ => false,
            },
            Some(KEY_STRING_PREFIX) => match value {
                ValueRef::String(s) if *ty == Type::String => match s.as_str() {
                    Some(prefix) => {
                        let prefix = shorten_prefix(prefix);
                        refinements.string_prefix = (!prefix.is_empty()).then(|| prefix.to_owned());
                        true
                    }
                    None => false,
                },
                _ => false,
            },
            Some(k @ (KEY_NUMBER_MIN | KEY_NUMBER_MAX)) if *ty == Type::Number => {
                match number_bound(value) {
                    Some(bound) if bound.value.is_infinite() => true,
                    Some(bound) if k == KEY_NUMBER_MIN => {
                        refinements.number_lower = Some(bound);
                        true
                    }
                    Some(bound) => {
                        refinements.number_upper = Some(bound);
                        true
                    }
                    None => false,
                }
            }
            Some(k @ (KEY_LENGTH_MIN | KEY_LENGTH_MAX)) if ty.is_collection() => match value {
                ValueRef::Integer(n) => match n.as_u64() {
                    Some(n) if k == KEY_LENGTH_MIN => {
                        refinements.length_lower = (n != 0).then_some(n);
                        true
                    }
                    Some(n) => {
                        refinements.length_upper = i64::try_from(n).is_ok().then_some(n);
                        true
                    }
                    None => false,
                },
                _ => false,
            },
            // Keys for refinements that do not fit the type, which cty refuses.
            Some(KEY_NUMBER_MIN | KEY_NUMBER_MAX | KEY_LENGTH_MIN | KEY_LENGTH_MAX) => false,
            // Keys from the future: ignored, as cty does.
            _ => true,
        };
        if !accepted {
            return Value::unknown();
        }
    }
    Value::refined_unknown(refinements)
}

/// `[number, inclusive]`.
fn number_bound(value: &ValueRef<'_>) -> Option<NumberBound> {
    let ValueRef::Array(items) = value else {
        return None;
    };
    let [number, ValueRef::Boolean(inclusive)] = items.as_slice() else {
        return None;
    };
    Some(NumberBound {
        value: decode_number(number).ok()?,
        inclusive: *inclusive,
    })
}

/// Writes an unknown of type `ty` with the refinements that fit that type, in cty's key
/// order; with none, the plain form.
pub(crate) fn encode(refinements: Option<&Refinements>, ty: &Type) -> Msgpack {
    let Some(refinements) = refinements.filter(|_| *ty != Type::Dynamic) else {
        return plain();
    };
    let mut entries: Vec<(Msgpack, Msgpack)> = Vec::new();
    if refinements.not_null {
        entries.push((Msgpack::from(KEY_NULLNESS), Msgpack::Boolean(false)));
    }
    match ty {
        Type::Number => {
            let bounds = [
                (KEY_NUMBER_MIN, &refinements.number_lower),
                (KEY_NUMBER_MAX, &refinements.number_upper),
            ];
            for (key, bound) in bounds {
                if let Some(bound) = bound.as_ref().filter(|b| !b.value.is_infinite()) {
                    entries.push((
                        Msgpack::from(key),
                        Msgpack::Array(vec![
                            encode_number(&bound.value),
                            Msgpack::Boolean(bound.inclusive),
                        ]),
                    ));
                }
            }
        }
        Type::String => {
            if let Some(prefix) = refinements
                .string_prefix
                .as_deref()
                .filter(|p| !p.is_empty())
            {
                entries.push((
                    Msgpack::from(KEY_STRING_PREFIX),
                    Msgpack::from(shorten_prefix(prefix)),
                ));
            }
        }
        _ if ty.is_collection() => {
            if let Some(n) = refinements.length_lower.filter(|n| *n != 0) {
                entries.push((Msgpack::from(KEY_LENGTH_MIN), length(n)));
            }
            if let Some(n) = refinements
                .length_upper
                .filter(|n| i64::try_from(*n).is_ok())
            {
                entries.push((Msgpack::from(KEY_LENGTH_MAX), length(n)));
            }
        }
        _ => {}
    }
    if entries.is_empty() {
        return plain();
    }
    let mut payload = Vec::new();
    // Writing into a Vec cannot fail.
    if rmpv::encode::write_value(&mut payload, &Msgpack::Map(entries)).is_err() {
        return plain();
    }
    Msgpack::Ext(REFINED_EXT, payload)
}

/// cty writes lengths as signed integers (the same bytes as unsigned for these values).
fn length(n: u64) -> Msgpack {
    Msgpack::from(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Keeps the refinement payload small as cty does: a prefix over 256 bytes is cut to 255
/// and its last character dropped, since it might combine with what follows. (cty drops
/// the last grapheme cluster; one character is the cheap approximation.)
fn shorten_prefix(prefix: &str) -> &str {
    if prefix.len() <= MAX_PREFIX {
        return prefix;
    }
    let mut end = MAX_PREFIX - 1;
    while !prefix.is_char_boundary(end) {
        end -= 1;
    }
    let cut = &prefix[..end];
    cut.char_indices().last().map_or(cut, |(i, _)| &cut[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::value::number::Number;

    fn encoded(value: Msgpack) -> Vec<u8> {
        let mut out = Vec::new();
        rmpv::encode::write_value(&mut out, &value).unwrap();
        out
    }

    /// Found by the msgpack_value fuzz target (fuzz/regressions/msgpack_value/): a
    /// refinement that says nothing decoded into a value that differed from the plain
    /// unknown it encodes back to.
    #[test]
    fn refinements_that_say_nothing_decode_as_a_plain_unknown() {
        let payload = |entries: Vec<(Msgpack, Msgpack)>| encoded(Msgpack::Map(entries));
        let list = Type::list(Type::String);
        let cases = [
            (payload(vec![(5.into(), 0.into())]), list.clone()),
            (
                payload(vec![(6.into(), Msgpack::from(u64::MAX))]),
                list.clone(),
            ),
            (payload(vec![(2.into(), "".into())]), Type::String),
            (
                payload(vec![(
                    3.into(),
                    Msgpack::Array(vec![Msgpack::F64(f64::INFINITY), true.into()]),
                )]),
                Type::Number,
            ),
            // Unknown keys beside a length of at least 0: the fuzz target's input.
            (
                payload(vec![(116.into(), 114.into()), (5.into(), 0.into())]),
                list.clone(),
            ),
        ];
        for (payload, ty) in cases {
            let value = decode(REFINED_EXT, &payload, &ty);
            assert_eq!(value, Value::unknown(), "{payload:?} as {ty:?}");
        }
        let crash = [
            0x06, 0xd7, 0x0c, 0x83, 0x74, 0x72, 0x75, 0x65, 0x05, 0x00, 0x03,
        ];
        let value = crate::protocol::value::decode_msgpack(&crash[1..], &list).unwrap();
        assert_eq!(value, Value::unknown());
        // A prefix longer than cty sends is shortened as encode shortens it.
        let long = "p".repeat(300);
        let value = decode(
            REFINED_EXT,
            &payload(vec![(2.into(), long.as_str().into())]),
            &Type::String,
        );
        let Value::Unknown(Some(refinements)) = &value else {
            panic!("a refined unknown: {value:?}");
        };
        assert_eq!(
            refinements.string_prefix.as_deref(),
            Some(shorten_prefix(&long))
        );
        let again = encoded(encode(Some(refinements), &Type::String));
        let again = crate::protocol::value::decode_msgpack(&again, &Type::String).unwrap();
        assert_eq!(again, value);
    }

    #[test]
    fn plain_unknown_is_cty_fixext1() {
        assert_eq!(encoded(plain()), [0xd4, 0x00, 0x00]);
        assert_eq!(encoded(encode(None, &Type::String)), [0xd4, 0x00, 0x00]);
    }

    #[test]
    fn refinements_that_do_not_fit_the_type_are_not_written() {
        let refinements = Refinements {
            string_prefix: Some("ab".into()),
            ..Refinements::default()
        };
        assert_eq!(
            encoded(encode(Some(&refinements), &Type::Number)),
            [0xd4, 0x00, 0x00]
        );
        assert_eq!(
            encoded(encode(Some(&refinements), &Type::Dynamic)),
            [0xd4, 0x00, 0x00]
        );
    }

    #[test]
    fn refinements_in_cty_order() {
        // Not null, then the number bounds: {1: false, 3: [0, true], 4: [1.5, false]}.
        let refinements = Refinements {
            not_null: true,
            number_lower: Some(NumberBound {
                value: Number::from(0),
                inclusive: true,
            }),
            number_upper: Some(NumberBound {
                value: "1.5".parse().unwrap(),
                inclusive: false,
            }),
            ..Refinements::default()
        };
        let mut expected = vec![
            0xc7, 19, 0x0c, 0x83, 0x01, 0xc2, 0x03, 0x92, 0x00, 0xc3, 0x04, 0x92, 0xcb,
        ];
        expected.extend(1.5f64.to_bits().to_be_bytes());
        expected.push(0xc2);
        assert_eq!(encoded(encode(Some(&refinements), &Type::Number)), expected);
        assert_eq!(
            decode(REFINED_EXT, &expected[3..], &Type::Number),
            Value::refined_unknown(refinements)
        );
    }

    #[test]
    fn odd_payloads_decode_as_plain_unknowns() {
        let plain = Value::unknown();
        // Not a map; a non-integer key; a prefix on a number; too long.
        assert_eq!(decode(REFINED_EXT, &[0xc0, 0xc0], &Type::String), plain);
        assert_eq!(
            decode(REFINED_EXT, &[0x81, 0xa1, b'a', 0xc2], &Type::String),
            plain
        );
        assert_eq!(
            decode(REFINED_EXT, &[0x81, 0x02, 0xa1, b'a'], &Type::Number),
            plain
        );
        assert_eq!(decode(REFINED_EXT, &vec![0x80; 2000], &Type::String), plain);
        // Another extension type with a payload.
        assert_eq!(decode(5, &[0x81, 0x01, 0xc2], &Type::String), plain);
        // Unknown keys are skipped.
        assert_eq!(
            decode(REFINED_EXT, &[0x82, 0x09, 0xc3, 0x01, 0xc2], &Type::String),
            Value::refined_unknown(Refinements {
                not_null: true,
                ..Refinements::default()
            })
        );
        // "Definitely null" is a known null.
        assert_eq!(
            decode(REFINED_EXT, &[0x81, 0x01, 0xc3], &Type::String),
            Value::Null
        );
    }

    #[test]
    fn long_prefixes_are_shortened() {
        let long = "é".repeat(200);
        let short = shorten_prefix(&long);
        assert!(short.len() <= 255 && long.starts_with(short));
        assert_eq!(short.chars().count(), 126);
        assert_eq!(shorten_prefix("abc"), "abc");
    }
}
