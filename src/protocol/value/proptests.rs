//! Property tests across the codecs: any value of any type survives msgpack (unknowns,
//! refinements and all) and JSON (where unknowns cannot go), and re-encoding what was
//! decoded gives the same bytes.
//!
//! `make test` runs 512 cases of each; PROPTEST_CASES sets another count (`make soak`
//! runs tens of thousands). The fuzz targets of the same codecs are in fuzz/; the
//! inputs they once failed on are replayed by acceptance-tests/hostile_input.rs.

use proptest::prelude::*;

use super::types::tests::arb_type;
use super::*;

fn arb_number(finite_only: bool) -> BoxedStrategy<Number> {
    let decimal = (any::<bool>(), "[0-9]{1,40}", -60i32..60).prop_map(|(negative, digits, exp)| {
        let sign = if negative { "-" } else { "" };
        format!("{sign}{digits}e{exp}").parse::<Number>().unwrap()
    });
    let double = any::<f64>().prop_filter_map("NaN or infinite", move |f| {
        (!finite_only || f.is_finite())
            .then(|| Number::from_f64(f))
            .flatten()
    });
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        Just(Number::from_f64(-0.0).unwrap()),
        double,
        decimal,
    ]
    .boxed()
}

/// Refinements of the kind cty sends for `ty`.
fn arb_unknown(ty: &Type) -> BoxedStrategy<Value> {
    let ty = ty.clone();
    let bound = || {
        proptest::option::of(
            (arb_number(true), any::<bool>())
                .prop_map(|(value, inclusive)| NumberBound { value, inclusive }),
        )
    };
    (
        any::<bool>(),
        proptest::option::of("\\PC{1,60}"),
        bound(),
        bound(),
        proptest::option::of(1u64..100),
        proptest::option::of(0u64..100),
    )
        .prop_map(move |(not_null, prefix, lower, upper, min, max)| {
            let mut refinements = Refinements {
                not_null,
                ..Refinements::default()
            };
            match &ty {
                Type::String => refinements.string_prefix = prefix,
                Type::Number => {
                    (refinements.number_lower, refinements.number_upper) = (lower, upper)
                }
                t if t.is_collection() => {
                    (refinements.length_lower, refinements.length_upper) = (min, max)
                }
                _ => {}
            }
            Value::refined_unknown(refinements)
        })
        .boxed()
}

/// Any value of type `ty`; `msgpack` allows unknowns and infinities, which JSON cannot hold.
fn arb_value(ty: &Type, msgpack: bool) -> BoxedStrategy<Value> {
    let known = match ty {
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Number => arb_number(!msgpack).prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::List(t) => proptest::collection::vec(arb_value(t, msgpack), 0..3)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(t) => proptest::collection::vec(arb_value(t, msgpack), 0..3)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(t) => proptest::collection::btree_map("\\PC{0,5}", arb_value(t, msgpack), 0..3)
            .prop_map(Value::Map)
            .boxed(),
        Type::Tuple(types) => types
            .iter()
            .map(|t| arb_value(t, msgpack))
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Object { attributes, .. } => {
            let names: Vec<String> = attributes.keys().cloned().collect();
            attributes
                .values()
                .map(|t| arb_value(t, msgpack))
                .collect::<Vec<_>>()
                .prop_map(move |values| Value::object(names.clone().into_iter().zip(values)))
                .boxed()
        }
        // A value of some concrete type, written with that type.
        Type::Dynamic => arb_type()
            .prop_filter("a concrete type", |t| *t != Type::Dynamic)
            .prop_flat_map(move |t| {
                arb_value(&t, msgpack).prop_map(move |value| {
                    Value::from(TypedValue {
                        ty: t.clone(),
                        value,
                    })
                })
            })
            .boxed(),
    };
    let unknown = if *ty == Type::Dynamic {
        Just(Value::unknown()).boxed()
    } else {
        arb_unknown(ty)
    };
    if msgpack {
        prop_oneof![1 => Just(Value::Null), 1 => unknown, 4 => known].boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 4 => known].boxed()
    }
}

fn arb_typed_value(msgpack: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |t| {
        let values = arb_value(&t, msgpack);
        (Just(t), values)
    })
}

/// 512 cases, or PROPTEST_CASES.
fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(512);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn msgpack_round_trips((ty, value) in arb_typed_value(true)) {
        let bytes = encode_msgpack(&value, &ty).unwrap();
        let decoded = decode_msgpack(&bytes, &ty).unwrap();
        prop_assert_eq!(&decoded, &value);
        prop_assert_eq!(encode_msgpack(&decoded, &ty).unwrap(), bytes);
    }

    #[test]
    fn json_round_trips((ty, value) in arb_typed_value(false)) {
        let bytes = encode_json(&value, &ty).unwrap();
        let decoded = decode_json(&bytes, &ty).unwrap();
        prop_assert_eq!(&decoded, &value);
        prop_assert_eq!(encode_json(&decoded, &ty).unwrap(), bytes);
    }

    #[test]
    fn msgpack_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64), ty in arb_type()) {
        let _ = decode_msgpack(&bytes, &ty);
    }

    #[test]
    fn json_decoding_never_panics(text in "[\\[\\]{}\":,0-9a-z.eE+\\- \\\\]{0,40}", ty in arb_type()) {
        let _ = decode_json(text.as_bytes(), &ty);
    }
}
