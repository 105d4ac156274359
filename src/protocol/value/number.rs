//! Terraform numbers: arbitrary-precision decimals that never pass through a lossy type.
//!
//! cty keeps numbers as `big.Float`; two numbers are equal when their shortest decimal
//! text is equal. We keep the exact decimal instead (digits and a power of ten), which
//! gives the same equality and the same text, and remember whether a non-integer arrived
//! as a double so that it goes back on the wire in the form it came in.
//!
//! One deliberate difference: a double that is an integer becomes that integer exactly,
//! where cty would print its shortest text (2^60 as 1152921504606847000). cty sends such
//! a number as an integer of its exact value, so only the exact value survives a round trip.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use super::error::ValueError;

/// Bounds on the decimal exponent and digit count: far beyond any float (1e±308) yet small
/// enough that printing a number in plain notation, as cty does, stays cheap.
const MAX_EXPONENT: i64 = 10_000;
const MAX_DIGITS: usize = 10_000;

/// An arbitrary-precision Terraform number (or ±infinity, which cty allows).
///
/// Equality, ordering and hashing are numeric: `1 == 1.0`, `-0 == 0`.
#[derive(Clone)]
pub struct Number {
    kind: Kind,
    /// A non-integer that arrived as (or was made from) an IEEE double. cty then holds it
    /// at 53-bit precision, prints its shortest text and writes it back as a float64.
    binary: bool,
}

#[derive(Clone)]
enum Kind {
    /// `(-1)^negative × digits × 10^exponent`; `digits` has no leading or trailing zeros
    /// and is empty for zero (which then has exponent 0 and may be negative zero).
    Finite {
        negative: bool,
        digits: Box<str>,
        exponent: i32,
    },
    Infinite {
        negative: bool,
    },
}

/// How a number goes into msgpack, following cty's marshaller: an integer that fits int64
/// as an integer, a non-integer exactly representable as a double as float64, anything
/// else as a string holding the plain decimal text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum WireNumber {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Number {
    /// Zero.
    pub fn zero() -> Self {
        Self::from_parts(false, String::new(), 0)
    }

    /// Positive or negative infinity.
    pub fn infinity(negative: bool) -> Self {
        Self {
            kind: Kind::Infinite { negative },
            binary: true,
        }
    }

    /// A double: an integral one as its exact integer, any other as its shortest decimal
    /// text (marked to go back as a float64). `None` for NaN, which Terraform cannot hold.
    pub fn from_f64(value: f64) -> Option<Self> {
        if value.is_nan() {
            return None;
        }
        if value.is_infinite() {
            return Some(Self::infinity(value < 0.0));
        }
        if value.fract() == 0.0 {
            // An integral double is that integer exactly (2^60 is 1152921504606846976, not
            // the shortest text 1152921504606847000), so that it survives the trip
            // through msgpack, where cty writes it as an integer.
            let digits = decompose(value).map_or_else(String::new, |(mantissa, power)| {
                mantissa_times_pow(mantissa, 2, u32::try_from(power).unwrap_or(0))
            });
            return Some(Self::from_parts(value.is_sign_negative(), digits, 0));
        }
        // Rust prints the shortest digits that read back as the same double, which is
        // exactly the text cty gives a 53-bit big.Float.
        let mut number = parse(&format!("{value:e}")).ok()?;
        number.binary = true;
        Some(number)
    }

    fn from_parts(negative: bool, digits: String, exponent: i64) -> Self {
        let trimmed = digits.trim_start_matches('0');
        let without_trailing = trimmed.trim_end_matches('0');
        let zeros = trimmed.len() - without_trailing.len();
        let digits: Box<str> = without_trailing.into();
        let exponent = if digits.is_empty() {
            0
        } else {
            exponent.saturating_add(i64::try_from(zeros).unwrap_or(i64::MAX))
        };
        Self {
            kind: Kind::Finite {
                negative,
                digits,
                exponent: i32::try_from(exponent).unwrap_or(i32::MAX),
            },
            binary: false,
        }
    }

    fn from_integer(negative: bool, magnitude: u128) -> Self {
        Self::from_parts(negative, magnitude.to_string(), 0)
    }

    /// True for a non-integer that arrived as (or was made from) a double.
    pub(crate) fn is_binary(&self) -> bool {
        self.binary
    }

    /// True for finite numbers with no fractional part.
    pub fn is_integer(&self) -> bool {
        match &self.kind {
            Kind::Finite { exponent, .. } => *exponent >= 0,
            Kind::Infinite { .. } => false,
        }
    }

    /// True for ±infinity.
    pub fn is_infinite(&self) -> bool {
        matches!(self.kind, Kind::Infinite { .. })
    }

    /// True for zero (of either sign).
    pub fn is_zero(&self) -> bool {
        matches!(&self.kind, Kind::Finite { digits, .. } if digits.is_empty())
    }

    /// True below zero, and for negative zero and negative infinity.
    pub fn is_sign_negative(&self) -> bool {
        match &self.kind {
            Kind::Finite { negative, .. } | Kind::Infinite { negative } => *negative,
        }
    }

    /// The integer value if it is an integer within `i128`.
    pub fn to_i128(&self) -> Option<i128> {
        let (negative, text) = self.integer_text()?;
        let magnitude: u128 = text.parse().ok()?;
        if negative {
            0i128.checked_sub_unsigned(magnitude)
        } else {
            i128::try_from(magnitude).ok()
        }
    }

    /// The integer value if it is a non-negative integer within `u128`.
    pub fn to_u128(&self) -> Option<u128> {
        let (negative, text) = self.integer_text()?;
        let magnitude: u128 = text.parse().ok()?;
        (!negative || magnitude == 0).then_some(magnitude)
    }

    /// The integer value if it is an integer within `i64`.
    pub fn to_i64(&self) -> Option<i64> {
        self.to_i128().and_then(|v| i64::try_from(v).ok())
    }

    /// The integer value if it is a non-negative integer within `u64`.
    pub fn to_u64(&self) -> Option<u64> {
        self.to_u128().and_then(|v| u64::try_from(v).ok())
    }

    /// The double nearest to this number (±infinity beyond the double range).
    pub fn to_f64_lossy(&self) -> f64 {
        match &self.kind {
            Kind::Infinite { negative: false } => f64::INFINITY,
            Kind::Infinite { negative: true } => f64::NEG_INFINITY,
            Kind::Finite {
                negative, digits, ..
            } if digits.is_empty() => {
                if *negative {
                    -0.0
                } else {
                    0.0
                }
            }
            Kind::Finite {
                negative,
                digits,
                exponent,
            } => {
                let sign = if *negative { "-" } else { "" };
                // Rust's float parser rounds correctly however many digits it is given.
                format!("{sign}{digits}e{exponent}")
                    .parse()
                    .unwrap_or(f64::NAN)
            }
        }
    }

    /// The double with this value, if converting to one and back gives an equal number
    /// (so `0.1` converts, `0.10000000000000001` and 2^53+1 do not).
    pub fn to_f64(&self) -> Option<f64> {
        let value = self.to_f64_lossy();
        let exact =
            self.binary || self.is_exact_f64() || Self::from_f64(value).as_ref() == Some(self);
        exact.then_some(value)
    }

    /// `(negative, digits)` of an integer, refusing anything wider than 128 bits.
    fn integer_text(&self) -> Option<(bool, String)> {
        let Kind::Finite {
            negative,
            digits,
            exponent,
        } = &self.kind
        else {
            return None;
        };
        let zeros = usize::try_from(*exponent).ok()?;
        if digits.is_empty() {
            return Some((false, "0".to_owned()));
        }
        if digits.len() + zeros > 40 {
            return None;
        }
        let mut text = String::with_capacity(digits.len() + zeros);
        text.push_str(digits);
        text.extend(std::iter::repeat_n('0', zeros));
        Some((*negative, text))
    }

    /// The msgpack form cty's marshaller would choose for this number.
    pub(crate) fn wire_form(&self) -> WireNumber {
        if self.is_infinite() || self.binary {
            return WireNumber::Float(self.to_f64_lossy());
        }
        if let Some(int) = self.to_i64() {
            return WireNumber::Int(int);
        }
        if !self.is_integer() && self.is_exact_f64() {
            return WireNumber::Float(self.to_f64_lossy());
        }
        WireNumber::Text(self.to_string())
    }

    /// True when this decimal is exactly some double, as `1.5` and 2^60 are and `0.1`
    /// is not. A double is `m × 2^p` with `m` odd: for `p < 0` its exact decimal is
    /// `m × 5^-p × 10^p`, for `p ≥ 0` the integer `m × 2^p`; compare that with our digits.
    fn is_exact_f64(&self) -> bool {
        let Kind::Finite {
            digits, exponent, ..
        } = &self.kind
        else {
            return false;
        };
        let Some((mantissa, power)) = decompose(self.to_f64_lossy()) else {
            return false;
        };
        let exponent = i64::from(*exponent);
        if power < 0 {
            // m × 5^q ends in 5, so its normalised exponent must be exactly -q.
            exponent == power
                && u32::try_from(-power)
                    .is_ok_and(|q| mantissa_times_pow(mantissa, 5, q) == **digits)
        } else {
            let Ok(power) = u32::try_from(power) else {
                return false;
            };
            let Ok(zeros) = usize::try_from(exponent) else {
                return false;
            };
            let exact = mantissa_times_pow(mantissa, 2, power);
            exact.len() == digits.len() + zeros
                && exact.starts_with(&**digits)
                && exact[digits.len()..].bytes().all(|b| b == b'0')
        }
    }
}

/// `mantissa × base^exponent` in decimal, with limbs of nine decimal digits.
fn mantissa_times_pow(mantissa: u64, base: u64, exponent: u32) -> String {
    const LIMB: u64 = 1_000_000_000;
    let mut limbs: Vec<u64> = Vec::new();
    let mut rest = mantissa;
    while rest > 0 {
        limbs.push(rest % LIMB);
        rest /= LIMB;
    }
    let mut multiply = |factor: u64| {
        let mut carry = 0u64;
        for limb in limbs.iter_mut() {
            let product = *limb * factor + carry;
            *limb = product % LIMB;
            carry = product / LIMB;
        }
        while carry > 0 {
            limbs.push(carry % LIMB);
            carry /= LIMB;
        }
    };
    // Multiply in chunks no larger than 2^32 so that limb × chunk stays within u64.
    let mut remaining = exponent;
    while remaining > 0 {
        let mut chunk = 1u64;
        while remaining > 0 && chunk * base <= 1 << 32 {
            chunk *= base;
            remaining -= 1;
        }
        multiply(chunk);
    }
    let mut text = String::new();
    for (i, limb) in limbs.iter().rev().enumerate() {
        if i == 0 {
            text.push_str(&limb.to_string());
        } else {
            text.push_str(&format!("{limb:09}"));
        }
    }
    text
}

/// A finite double as `(odd mantissa, power of two)`, or `None` for zero.
fn decompose(value: f64) -> Option<(u64, i64)> {
    if value == 0.0 || !value.is_finite() {
        return None;
    }
    let bits = value.to_bits();
    let biased = i64::try_from((bits >> 52) & 0x7ff).unwrap_or(0);
    let fraction = bits & ((1u64 << 52) - 1);
    let (mut mantissa, mut power) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    let shift = mantissa.trailing_zeros();
    mantissa >>= shift;
    power += i64::from(shift);
    Some((mantissa, power))
}

/// Reads the decimal text cty accepts (Go's `big.ParseFloat` in base 10, less its rarely
/// seen binary `p` exponent): an optional sign, digits with an optional point, an optional
/// `e` exponent, or `inf`/`Inf`.
fn parse(text: &str) -> Result<Number, ValueError> {
    let invalid = || ValueError::unlocated(format!("{text:?} is not a number"));
    let bytes = text.as_bytes();
    let mut at = 0;
    let negative = match bytes.first() {
        Some(b'-') => {
            at = 1;
            true
        }
        Some(b'+') => {
            at = 1;
            false
        }
        _ => false,
    };
    let body = &text[at..];
    if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        return Ok(Number::infinity(negative));
    }
    let digits_from = |at: usize| {
        bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let int_len = digits_from(at);
    let int_part = &text[at..at + int_len];
    at += int_len;
    let mut frac_part = "";
    if bytes.get(at) == Some(&b'.') {
        let frac_len = digits_from(at + 1);
        frac_part = &text[at + 1..at + 1 + frac_len];
        at += 1 + frac_len;
    }
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(invalid());
    }
    let mut exponent: i64 = 0;
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        let exp_negative = match bytes.get(at) {
            Some(b'-') => {
                at += 1;
                true
            }
            Some(b'+') => {
                at += 1;
                false
            }
            _ => false,
        };
        let exp_len = digits_from(at);
        if exp_len == 0 {
            return Err(invalid());
        }
        for digit in &bytes[at..at + exp_len] {
            // Saturate: anything this large is refused below anyway.
            exponent = exponent
                .saturating_mul(10)
                .saturating_add(i64::from(digit - b'0'));
        }
        if exp_negative {
            exponent = -exponent;
        }
        at += exp_len;
    }
    if at != bytes.len() {
        return Err(invalid());
    }
    let all_digits = format!("{int_part}{frac_part}");
    let exponent = exponent.saturating_sub(i64::try_from(frac_part.len()).map_err(|_| invalid())?);
    let significant = all_digits.trim_start_matches('0').trim_end_matches('0');
    if !significant.is_empty() {
        let trailing = all_digits.trim_end_matches('0').len();
        let scale = exponent
            .saturating_add(i64::try_from(all_digits.len() - trailing).map_err(|_| invalid())?);
        if significant.len() > MAX_DIGITS || !(-MAX_EXPONENT..=MAX_EXPONENT).contains(&scale) {
            return Err(ValueError::unlocated(format!(
                "number {text:?} is outside the supported range"
            )));
        }
    }
    Ok(Number::from_parts(negative, all_digits, exponent))
}

impl FromStr for Number {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text)
    }
}

/// Plain decimal notation, never an exponent, like cty's `Text('f', -1)`: `1.5`,
/// `123456789012345678901234567890`, `0.000001`, `-0`, `+Inf`.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (negative, digits, exponent) = match &self.kind {
            Kind::Infinite { negative: false } => return f.write_str("+Inf"),
            Kind::Infinite { negative: true } => return f.write_str("-Inf"),
            Kind::Finite {
                negative,
                digits,
                exponent,
            } => (*negative, digits, i64::from(*exponent)),
        };
        if negative {
            f.write_str("-")?;
        }
        if digits.is_empty() {
            return f.write_str("0");
        }
        let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
        let point = len + exponent;
        if exponent >= 0 {
            f.write_str(digits)?;
            for _ in 0..exponent {
                f.write_str("0")?;
            }
        } else if point > 0 {
            let split = usize::try_from(point).unwrap_or(0);
            write!(f, "{}.{}", &digits[..split], &digits[split..])?;
        } else {
            f.write_str("0.")?;
            for _ in 0..-point {
                f.write_str("0")?;
            }
            f.write_str(digits)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Number {}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        /// -1, 0 or 1, with both zeros as 0.
        fn sign(kind: &Kind) -> i8 {
            match kind {
                Kind::Finite { digits, .. } if digits.is_empty() => 0,
                Kind::Finite { negative, .. } | Kind::Infinite { negative } => {
                    if *negative {
                        -1
                    } else {
                        1
                    }
                }
            }
        }
        let by_sign = sign(&self.kind).cmp(&sign(&other.kind));
        if by_sign != Ordering::Equal || sign(&self.kind) == 0 {
            return by_sign;
        }
        let magnitude = match (&self.kind, &other.kind) {
            (Kind::Infinite { .. }, Kind::Infinite { .. }) => Ordering::Equal,
            (Kind::Infinite { .. }, _) => Ordering::Greater,
            (_, Kind::Infinite { .. }) => Ordering::Less,
            (
                Kind::Finite {
                    digits: a,
                    exponent: ea,
                    ..
                },
                Kind::Finite {
                    digits: b,
                    exponent: eb,
                    ..
                },
            ) => {
                // Compare where the decimal point falls, then the digits (a proper prefix
                // is smaller, since neither ends in zero).
                let point_a = i64::try_from(a.len()).unwrap_or(i64::MAX) + i64::from(*ea);
                let point_b = i64::try_from(b.len()).unwrap_or(i64::MAX) + i64::from(*eb);
                point_a.cmp(&point_b).then_with(|| a.cmp(b))
            }
        };
        if self.is_sign_negative() {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl Hash for Number {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match &self.kind {
            Kind::Finite { digits, .. } if digits.is_empty() => 0u8.hash(state),
            Kind::Finite {
                negative,
                digits,
                exponent,
            } => {
                1u8.hash(state);
                negative.hash(state);
                digits.hash(state);
                exponent.hash(state);
            }
            Kind::Infinite { negative } => {
                2u8.hash(state);
                negative.hash(state);
            }
        }
    }
}

macro_rules! from_signed {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(value: $t) -> Self {
                Self::from_integer(value < 0, u128::from(value.unsigned_abs()))
            }
        }
    )*};
}
macro_rules! from_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(value: $t) -> Self {
                Self::from_integer(false, u128::from(value))
            }
        }
    )*};
}
from_signed!(i8, i16, i32, i64, i128);
from_unsigned!(u8, u16, u32, u64, u128);

impl From<isize> for Number {
    fn from(value: isize) -> Self {
        Self::from(value as i128)
    }
}

impl From<usize> for Number {
    fn from(value: usize) -> Self {
        Self::from(value as u128)
    }
}

impl TryFrom<f64> for Number {
    type Error = ValueError;

    fn try_from(value: f64) -> Result<Self, Self::Error> {
        Self::from_f64(value).ok_or_else(|| ValueError::unlocated("NaN is not a number"))
    }
}

impl TryFrom<f32> for Number {
    type Error = ValueError;

    fn try_from(value: f32) -> Result<Self, Self::Error> {
        Self::try_from(f64::from(value))
    }
}

macro_rules! try_into_int {
    ($($t:ty => $via:ident),*) => {$(
        impl TryFrom<&Number> for $t {
            type Error = ValueError;

            fn try_from(value: &Number) -> Result<Self, Self::Error> {
                value
                    .$via()
                    .and_then(|v| <$t>::try_from(v).ok())
                    .ok_or_else(|| ValueError::unlocated(format!(
                        "{value} is not an integer within {}", stringify!($t)
                    )))
            }
        }
    )*};
}
try_into_int!(
    i8 => to_i128, i16 => to_i128, i32 => to_i128, i64 => to_i128, i128 => to_i128,
    u8 => to_u128, u16 => to_u128, u32 => to_u128, u64 => to_u128, u128 => to_u128
);

impl TryFrom<&Number> for f64 {
    type Error = ValueError;

    fn try_from(value: &Number) -> Result<Self, Self::Error> {
        value.to_f64().ok_or_else(|| {
            ValueError::unlocated(format!("{value} cannot be held exactly in a double"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn num(text: &str) -> Number {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_prints_plain_decimals() {
        for (input, printed) in [
            ("0", "0"),
            ("-0", "-0"),
            ("+12", "12"),
            ("1.500", "1.5"),
            ("000123.4500", "123.45"),
            ("1e3", "1000"),
            ("1.5E-7", "0.00000015"),
            (".5", "0.5"),
            ("5.", "5"),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
            ("-0.000", "-0"),
            ("Inf", "+Inf"),
            ("-inf", "-Inf"),
        ] {
            assert_eq!(num(input).to_string(), printed, "{input}");
        }
        for bad in [
            "", "-", ".", "e5", "1e", "1.2.3", "0x10", "1_000", " 1", "NaN", "1p3",
        ] {
            assert!(bad.parse::<Number>().is_err(), "{bad:?}");
        }
        assert!("1e100000".parse::<Number>().is_err());
    }

    #[test]
    fn equality_is_numeric() {
        assert_eq!(num("1"), num("1.0"));
        assert_eq!(num("0"), num("-0"));
        assert_eq!(Number::from(1), Number::from_f64(1.0).unwrap());
        assert_eq!(Number::from_f64(0.1).unwrap(), num("0.1"));
        assert_ne!(num("0.1"), num("0.10000000000000001"));
        assert!(num("-2") < num("-1.5"));
        assert!(num("0.12") < num("0.123"));
        assert!(num("99") < num("100"));
        assert!(num("1e400") < Number::infinity(false));
        assert!(Number::infinity(true) < num("-1e400"));
    }

    #[test]
    fn integer_conversions() {
        assert_eq!(num("9223372036854775807").to_i64(), Some(i64::MAX));
        assert_eq!(num("9223372036854775808").to_i64(), None);
        assert_eq!(num("18446744073709551615").to_u64(), Some(u64::MAX));
        assert_eq!(num("-9223372036854775808").to_i64(), Some(i64::MIN));
        assert_eq!(num("-1").to_u64(), None);
        assert_eq!(num("1.5").to_i64(), None);
        assert_eq!(num("1e2").to_i64(), Some(100));
        assert_eq!(num("-0").to_u64(), Some(0));
        assert_eq!(num("1e39").to_u128(), None);
        assert_eq!(u16::try_from(&num("70000")).ok(), None);
        assert_eq!(u16::try_from(&num("7000")).ok(), Some(7000));
    }

    #[test]
    fn float_conversions() {
        assert_eq!(num("0.1").to_f64(), Some(0.1));
        assert_eq!(num("0.10000000000000001").to_f64(), None);
        assert_eq!(num("9007199254740993").to_f64(), None);
        assert_eq!(num("9007199254740992").to_f64(), Some(9007199254740992.0));
        assert_eq!(num("1e400").to_f64_lossy(), f64::INFINITY);
        assert!(Number::from_f64(f64::NAN).is_none());
        let negative_zero = Number::from_f64(-0.0).unwrap();
        assert_eq!(negative_zero.to_string(), "-0");
        assert!(negative_zero.to_f64_lossy().is_sign_negative());
    }

    #[test]
    fn wire_form_follows_cty() {
        assert_eq!(num("1").wire_form(), WireNumber::Int(1));
        assert_eq!(num("-0").wire_form(), WireNumber::Int(0));
        assert_eq!(num("1.5").wire_form(), WireNumber::Float(1.5));
        // 0.1 written in decimal is not a double, so cty sends its text...
        assert_eq!(num("0.1").wire_form(), WireNumber::Text("0.1".into()));
        // ...but a double 0.1 stays a double.
        assert_eq!(
            Number::from_f64(0.1).unwrap().wire_form(),
            WireNumber::Float(0.1)
        );
        // The exact decimal of the double 0.1 is a double too.
        assert_eq!(
            num("0.1000000000000000055511151231257827021181583404541015625").wire_form(),
            WireNumber::Float(0.1)
        );
        assert_eq!(
            num("123456789012345678901234567890").wire_form(),
            WireNumber::Text("123456789012345678901234567890".into())
        );
        // Integers beyond int64 are text even when they are doubles.
        assert_eq!(
            Number::from_f64(1e20).unwrap().wire_form(),
            WireNumber::Text("100000000000000000000".into())
        );
        assert_eq!(
            Number::from_f64(2f64.powi(70)).unwrap().wire_form(),
            WireNumber::Text("1180591620717411303424".into())
        );
        assert_eq!(
            num("18446744073709551615").wire_form(),
            WireNumber::Text("18446744073709551615".into())
        );
        // A double that is an integer is that integer.
        let two_pow_60 = Number::from_f64(2f64.powi(60)).unwrap();
        assert_eq!(two_pow_60, Number::from(1u64 << 60));
        assert_eq!(two_pow_60.wire_form(), WireNumber::Int(1 << 60));
        assert_eq!(num("1152921504606846976").to_f64(), Some(2f64.powi(60)));
        assert_eq!(
            Number::from_f64(5e-324).unwrap().wire_form(),
            WireNumber::Float(5e-324)
        );
        assert_eq!(
            Number::infinity(true).wire_form(),
            WireNumber::Float(f64::NEG_INFINITY)
        );
    }

    proptest! {
        #[test]
        fn doubles_round_trip(bits in any::<u64>()) {
            let value = f64::from_bits(bits);
            prop_assume!(!value.is_nan());
            let number = Number::from_f64(value).unwrap();
            prop_assert_eq!(number.to_f64().map(f64::to_bits), Some(value.to_bits()));
            let reparsed: Number = number.to_string().parse().unwrap();
            prop_assert_eq!(&reparsed, &number);
        }

        #[test]
        fn exact_decimals_of_doubles_are_sent_as_doubles(
            random in any::<u64>(),
            biased in 0u64..1075,
        ) {
            // Below 2^52, where doubles have fractions.
            let bits = (random & !(0x7ff << 52)) | (biased << 52);
            let value = f64::from_bits(bits);
            prop_assume!(value.is_finite() && value.fract() != 0.0);
            // The exact decimal of m × 2^-q is m × 5^q × 10^-q.
            let (mantissa, power) = decompose(value).unwrap();
            let sign = if value < 0.0 { "-" } else { "" };
            let text = format!("{sign}{}e{power}", mantissa_times_pow(mantissa, 5, (-power) as u32));
            let exact: Number = text.parse().unwrap();
            prop_assert!(!exact.binary);
            prop_assert_eq!(exact.wire_form(), WireNumber::Float(value));
            prop_assert_eq!(exact.to_f64().map(f64::to_bits), Some(value.to_bits()));
        }

        #[test]
        fn decimals_round_trip_through_text(
            negative in any::<bool>(),
            digits in "[0-9]{1,60}",
            exponent in -80i64..80,
        ) {
            let text = format!("{}{digits}e{exponent}", if negative { "-" } else { "" });
            let number: Number = text.parse().unwrap();
            let reparsed: Number = number.to_string().parse().unwrap();
            prop_assert_eq!(&reparsed, &number);
            prop_assert_eq!(reparsed.to_string(), number.to_string());
        }

        #[test]
        fn integers_round_trip(value in any::<i128>()) {
            let number = Number::from(value);
            prop_assert_eq!(number.to_i128(), Some(value));
            prop_assert_eq!(number.to_string(), value.to_string());
        }

        #[test]
        fn ordering_matches_doubles(a in any::<f64>(), b in any::<f64>()) {
            prop_assume!(!a.is_nan() && !b.is_nan());
            let (na, nb) = (Number::from_f64(a).unwrap(), Number::from_f64(b).unwrap());
            prop_assert_eq!(na.partial_cmp(&nb), a.partial_cmp(&b));
        }
    }
}
