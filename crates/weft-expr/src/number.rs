//! JavaScript's number conversions: printing, parsing, `toFixed`, `parseInt`, `parseFloat`.

use serde_json::Value;

/// 2^53: integers up to this magnitude are exact in an f64.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

/// A JSON value for a number: whole numbers within ±2^53 become integers (so 3.0 is written
/// `3`), NaN and infinities become null (as `JSON.stringify` writes them).
pub(crate) fn to_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() <= MAX_EXACT {
        // `as` is exact here; `+ 0` turns -0 into 0.
        return Value::from(n as i64);
    }
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

/// The length of the longest decimal literal at the start of `s`: digits, an optional
/// fraction and an optional exponent (only when digits follow it). No sign. 0 when none.
pub(crate) fn scan_decimal(s: &str) -> usize {
    let b = s.as_bytes();
    let digits = |mut j: usize| {
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    let int_end = digits(0);
    let mut end = int_end;
    if b.get(end) == Some(&b'.') {
        let frac_end = digits(end + 1);
        if int_end == 0 && frac_end == end + 1 {
            return 0;
        }
        end = frac_end;
    } else if int_end == 0 {
        return 0;
    }
    if matches!(b.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_end = digits(j);
        if exp_end > j {
            end = exp_end;
        }
    }
    end
}

fn is_js_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// JavaScript's `StringToNumber`: the whole string, trimmed, must be a number literal.
pub(crate) fn parse_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = t.strip_prefix(prefix) {
            if digits.is_empty() {
                return f64::NAN;
            }
            let mut v = 0f64;
            for c in digits.chars() {
                match c.to_digit(radix) {
                    Some(d) => v = v * f64::from(radix) + f64::from(d),
                    None => return f64::NAN,
                }
            }
            return v;
        }
    }
    let (sign, body) = match t.as_bytes()[0] {
        b'-' => (-1.0, &t[1..]),
        b'+' => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    if body == "Infinity" {
        return sign * f64::INFINITY;
    }
    let len = scan_decimal(body);
    if len == 0 || len != body.len() {
        return f64::NAN;
    }
    body.parse::<f64>().map_or(f64::NAN, |v| sign * v)
}

/// `parseFloat`: the longest number literal at the start, after leading whitespace.
pub(crate) fn parse_float(s: &str) -> f64 {
    let t = s.trim_start_matches(is_js_space);
    let (sign, body) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    if body.starts_with("Infinity") {
        return sign * f64::INFINITY;
    }
    let len = scan_decimal(body);
    if len == 0 {
        return f64::NAN;
    }
    body[..len].parse::<f64>().map_or(f64::NAN, |v| sign * v)
}

/// `parseInt(s, radix)`; `radix` 0 means "10, or 16 after 0x".
pub(crate) fn parse_int(s: &str, radix: i64) -> f64 {
    let t = s.trim_start_matches(is_js_space);
    let (sign, mut body) = match t.as_bytes().first() {
        Some(b'-') => (-1.0, &t[1..]),
        Some(b'+') => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    let mut radix = radix;
    let hex = body.starts_with("0x") || body.starts_with("0X");
    if radix == 0 {
        radix = if hex { 16 } else { 10 };
    }
    if !(2..=36).contains(&radix) {
        return f64::NAN;
    }
    if radix == 16 && hex {
        body = &body[2..];
    }
    let radix = radix as u32;
    let len = body
        .bytes()
        .take_while(|c| char::from(*c).is_digit(radix))
        .count();
    if len == 0 {
        return f64::NAN;
    }
    let digits = &body[..len];
    if radix == 10 {
        // Correctly rounded, as JavaScript requires for radix 10.
        return digits.parse::<f64>().map_or(f64::NAN, |v| sign * v);
    }
    let v = digits.chars().fold(0f64, |v, c| {
        v * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
    });
    sign * v
}

/// JavaScript's `Number::toString`: shortest round-trip digits, exponent form below 1e-6 and
/// from 1e21.
pub(crate) fn to_js_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if n == 0.0 {
        return "0".into();
    }
    if n.fract() == 0.0 && n.abs() <= MAX_EXACT {
        return format!("{}", n as i64);
    }
    let sci = format!("{:e}", n.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i32;
    // The decimal point goes after `point` digits.
    let point = exp + 1;
    let mut out = String::new();
    if n < 0.0 {
        out.push('-');
    }
    if k <= point && point <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (point - k) as usize));
    } else if 0 < point && point <= 21 {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if point > 0 { '+' } else { '-' });
        out.push_str(&(point - 1).abs().to_string());
    }
    out
}

/// `toFixed(digits)`: rounds the exact binary value half away from zero, as JavaScript does.
pub(crate) fn to_fixed(n: f64, digits: usize) -> String {
    if !n.is_finite() || n.abs() >= 1e21 {
        return to_js_string(n);
    }
    // 1100 fraction digits hold any f64 exactly, so the rounding below sees the true value.
    let exact = format!("{:.1100}", n.abs());
    let (int, frac) = exact.split_once('.').unwrap_or((&exact, ""));
    let mut kept: Vec<u8> = int.bytes().chain(frac.bytes().take(digits)).collect();
    if frac.as_bytes().get(digits).is_some_and(|d| *d >= b'5') {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let split = kept.len() - digits;
    let mut out = String::with_capacity(kept.len() + 2);
    if n < 0.0 {
        out.push('-');
    }
    out.extend(kept[..split].iter().map(|d| char::from(*d)));
    if digits > 0 {
        out.push('.');
        out.extend(kept[split..].iter().map(|d| char::from(*d)));
    }
    out
}

/// `toString(radix)` for radix 2 to 36 (other than 10): the integer part exactly, then up to
/// 20 fraction digits.
pub(crate) fn to_radix_string(n: f64, radix: u32) -> String {
    if !n.is_finite() || radix == 10 {
        return to_js_string(n);
    }
    let digit = |d: u32| char::from_digit(d, radix).unwrap_or('?');
    let mut int = n.abs().trunc();
    let mut frac = n.abs().fract();
    let mut int_digits = Vec::new();
    let r = f64::from(radix);
    loop {
        int_digits.push(digit((int % r) as u32));
        int = (int / r).trunc();
        if int < 1.0 {
            break;
        }
    }
    let mut out = String::new();
    if n < 0.0 {
        out.push('-');
    }
    out.extend(int_digits.iter().rev());
    if frac > 0.0 {
        out.push('.');
        for _ in 0..20 {
            frac *= r;
            out.push(digit(frac.trunc() as u32));
            frac = frac.fract();
            if frac == 0.0 {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_numbers() {
        assert_eq!(to_json(3.0), json!(3));
        assert_eq!(to_json(-0.0), json!(0));
        assert_eq!(to_json(2.5), json!(2.5));
        assert_eq!(
            to_json(9_007_199_254_740_992.0),
            json!(9_007_199_254_740_992_i64)
        );
        assert_eq!(to_json(1e300), json!(1e300));
        assert_eq!(to_json(f64::NAN), json!(null));
        assert_eq!(to_json(f64::INFINITY), json!(null));
    }

    #[test]
    fn printing_like_javascript() {
        for (n, s) in [
            (0.0, "0"),
            (-0.0, "0"),
            (42.0, "42"),
            (-7.5, "-7.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e-6, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (-2e-7, "-2e-7"),
            (5e-324, "5e-324"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(to_js_string(n), s, "{n}");
        }
    }

    #[test]
    fn parsing_like_javascript() {
        assert_eq!(parse_number(" 42 "), 42.0);
        assert_eq!(parse_number(""), 0.0);
        assert_eq!(parse_number("  "), 0.0);
        assert_eq!(parse_number("-1.5e3"), -1500.0);
        assert_eq!(parse_number("0x10"), 16.0);
        assert_eq!(parse_number("-Infinity"), f64::NEG_INFINITY);
        assert_eq!(parse_number(".5"), 0.5);
        assert_eq!(parse_number("5."), 5.0);
        for bad in [
            "abc", "1a", "inf", "nan", "NaN", "1e", "--1", "0x", "-0x10", "1 2", ".",
        ] {
            assert!(parse_number(bad).is_nan(), "{bad}");
        }
        assert_eq!(parse_float("3.5kg"), 3.5);
        assert_eq!(parse_float("  -1e-5x"), -0.00001);
        assert_eq!(parse_float("1e"), 1.0);
        assert_eq!(parse_float("Infinityx"), f64::INFINITY);
        assert!(parse_float("x1").is_nan());
        assert_eq!(parse_int("42px", 0), 42.0);
        assert_eq!(parse_int("-0x1f", 0), -31.0);
        assert_eq!(parse_int("0x1f", 16), 31.0);
        assert_eq!(parse_int("ff", 16), 255.0);
        assert_eq!(parse_int("101", 2), 5.0);
        assert_eq!(parse_int("12.9", 10), 12.0);
        assert_eq!(parse_int("99999999999999999999", 10), 1e20);
        assert!(parse_int("x", 10).is_nan());
        assert!(parse_int("1", 1).is_nan());
        assert!(parse_int("1", 37).is_nan());
    }

    #[test]
    fn to_fixed_rounds_half_up_on_the_exact_value() {
        assert_eq!(to_fixed(1.23456, 2), "1.23");
        assert_eq!(to_fixed(0.125, 2), "0.13");
        assert_eq!(to_fixed(2.5, 0), "3");
        assert_eq!(to_fixed(-2.5, 0), "-3");
        assert_eq!(to_fixed(1.005, 2), "1.00");
        assert_eq!(to_fixed(9.995, 2), "9.99");
        assert_eq!(to_fixed(99.5, 0), "100");
        assert_eq!(to_fixed(1.0, 3), "1.000");
        assert_eq!(to_fixed(-0.0001, 2), "-0.00");
        assert_eq!(to_fixed(-0.0, 2), "0.00");
        assert_eq!(to_fixed(1e21, 2), "1e+21");
    }

    #[test]
    fn radix_strings() {
        assert_eq!(to_radix_string(255.0, 16), "ff");
        assert_eq!(to_radix_string(-5.0, 2), "-101");
        assert_eq!(to_radix_string(0.5, 2), "0.1");
        assert_eq!(to_radix_string(0.0, 36), "0");
    }
}
