//! Phone numbers and recipient lists.

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::str::FromStr;

use crate::error::ValidationError;

/// At most this many recipients in one send.
pub const MAX_RECIPIENTS: usize = 2000;
/// Digits in a domestic (mainland China) mobile number, which starts with 1.
pub const DOMESTIC_PHONE_DIGITS: usize = 11;
/// Fewest digits after the `00` (or `+`) of an international number: the country code
/// and the number.
pub const MIN_INTERNATIONAL_DIGITS: usize = 6;
/// Most digits after the `00` (or `+`) of an international number.
pub const MAX_INTERNATIONAL_DIGITS: usize = 18;
/// Fewest digits a valid number has as sent: `00` and [`MIN_INTERNATIONAL_DIGITS`].
pub const MIN_PHONE_DIGITS: usize = 2 + MIN_INTERNATIONAL_DIGITS;
/// Most digits a valid number has as sent: `00` and [`MAX_INTERNATIONAL_DIGITS`].
pub const MAX_PHONE_DIGITS: usize = 2 + MAX_INTERNATIONAL_DIGITS;

/// The rule for a number that does not start with `00`, as a refusal states it.
const DOMESTIC_RULE: &str =
    "a domestic mobile number has 11 digits and starts with 1 (an international one starts with 00 or +)";
/// The rule for a number that starts with `00` (or `+`), as a refusal states it.
const INTERNATIONAL_RULE: &str = "an international number is 00 or + followed by 6 to 18 digits (country code and number), the first not 0";

/// Most characters of a refused value an error quotes.
const SHOWN_CHARS: usize = 32;

/// A phone number in the form SendCloud takes: digits only, with international numbers
/// written with a `00` prefix (a leading `+` is turned into `00`). Spaces and `-` between
/// digits are dropped.
///
/// The rule, which [`Phone::parse`] applies to what a user writes and
/// [`Phone::from_wire`] to what a server receives:
/// - a domestic mobile number has [`DOMESTIC_PHONE_DIGITS`] (11) digits and starts with
///   `1`;
/// - an international number starts with `00` (or `+`), then
///   [`MIN_INTERNATIONAL_DIGITS`] to [`MAX_INTERNATIONAL_DIGITS`] (6 to 18) digits of
///   country code and number, the first not `0`.
///
/// A refusal quotes the value (its first 32 characters) and states the rule.
///
/// ```
/// use sendcloud_proto::Phone;
/// assert_eq!(Phone::parse("+86 138-0000-0000").unwrap().as_str(), "008613800000000");
/// assert!(Phone::parse("0086 13800000000").unwrap().is_international());
/// assert!(!Phone::parse("13800000000").unwrap().is_international());
/// let err = Phone::parse("138abc").unwrap_err();
/// assert_eq!(err.field, "phone");
/// let err = Phone::parse("12345").unwrap_err();
/// assert!(err.rule.starts_with(r#""12345" has 5 digits; a domestic mobile number has 11"#));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    /// Parses and normalizes a phone number as a user writes it: surrounding whitespace
    /// is dropped, a leading `+` becomes `00`, single spaces or `-` between digits are
    /// dropped; then the digits must follow the rule of [`Phone`].
    pub fn parse(input: &str) -> Result<Phone, ValidationError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ValidationError::new("phone", "must not be empty"));
        }
        let (plus, rest) = match s.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let mut out = String::with_capacity(rest.len() + 2);
        if plus {
            out.push_str("00");
        }
        let mut last_sep = true; // no separator may lead
        for c in rest.chars() {
            match c {
                '0'..='9' => {
                    out.push(c);
                    last_sep = false;
                }
                ' ' | '-' if !last_sep => last_sep = true,
                _ => {
                    return Err(ValidationError::new(
                        "phone",
                        format!(
                            "{} must be digits, optionally with a leading + and spaces or - between digits; found {:?}",
                            shown(s),
                            c
                        ),
                    ))
                }
            }
        }
        if last_sep {
            return Err(ValidationError::new(
                "phone",
                format!("{} must end with a digit and have at least one", shown(s)),
            ));
        }
        check_digits(s, &out)?;
        Ok(Phone(out))
    }

    /// Checks a number as a server receives it in the `phone` parameter (one number of
    /// the list): only ASCII digits, international numbers with `00` (a `+` is refused:
    /// [`Phone::parse`] turns it into `00` before sending), and the rule of [`Phone`].
    /// Nothing is trimmed or dropped. Every number [`Phone::as_str`] gives passes.
    ///
    /// ```
    /// use sendcloud_proto::Phone;
    /// assert!(Phone::from_wire("008613800000000").unwrap().is_international());
    /// assert!(Phone::from_wire("+8613800000000").unwrap_err().rule.contains("00, not +"));
    /// assert!(Phone::from_wire("12345").is_err());
    /// ```
    pub fn from_wire(number: &str) -> Result<Phone, ValidationError> {
        if number.is_empty() {
            return Err(ValidationError::new("phone", "must not be empty"));
        }
        if number.starts_with('+') {
            return Err(ValidationError::new(
                "phone",
                format!(
                    "{} starts with +; as sent, a country prefix is written 00, not +",
                    shown(number)
                ),
            ));
        }
        if let Some(c) = number.chars().find(|c| !c.is_ascii_digit()) {
            return Err(ValidationError::new(
                "phone",
                format!("{} must be digits only as sent; found {c:?}", shown(number)),
            ));
        }
        check_digits(number, number)?;
        Ok(Phone(number.to_owned()))
    }

    /// The number as it is sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A number that identifies this phone among all phones: its digits as an integer
    /// (at most 20 digits, below 2^67) and, in the low 5 bits, how many digits it has (so
    /// that leading zeros count).
    fn key(&self) -> u128 {
        let value = self
            .0
            .bytes()
            .fold(0u128, |acc, b| acc * 10 + u128::from(b.wrapping_sub(b'0')));
        (value << 5) | self.0.len() as u128
    }

    /// Whether the number has a `00` country prefix (it must go out with msgType 2).
    pub fn is_international(&self) -> bool {
        self.0.starts_with("00")
    }

    /// The number with all but its first three and last two digits masked, for logs.
    ///
    /// ```
    /// use sendcloud_proto::Phone;
    /// assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138******78");
    /// ```
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

/// Masks all but the first three and last two characters of a phone number, for logs.
pub fn mask_phone(s: &str) -> String {
    let n = s.chars().count();
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < 3 || i + 2 >= n { c } else { '*' })
        .collect()
}

/// Checks the digits of a number (ASCII digits only, at least one) against the rule of
/// [`Phone`]; `written` is the number as given, which a refusal quotes.
fn check_digits(written: &str, digits: &str) -> Result<(), ValidationError> {
    let problem = if let Some(rest) = digits.strip_prefix("00") {
        let n = rest.len();
        if rest.starts_with('0') {
            Some(format!(
                "{} has a 0 right after the country prefix; {INTERNATIONAL_RULE}",
                shown(written)
            ))
        } else if !(MIN_INTERNATIONAL_DIGITS..=MAX_INTERNATIONAL_DIGITS).contains(&n) {
            Some(format!(
                "{} has {n} digit{} after the country prefix; {INTERNATIONAL_RULE}",
                shown(written),
                plural(n)
            ))
        } else {
            None
        }
    } else {
        let n = digits.len();
        if n != DOMESTIC_PHONE_DIGITS {
            Some(format!(
                "{} has {n} digit{}; {DOMESTIC_RULE}",
                shown(written),
                plural(n)
            ))
        } else if !digits.starts_with('1') {
            Some(format!(
                "{} starts with {}; {DOMESTIC_RULE}",
                shown(written),
                &digits[..1]
            ))
        } else {
            None
        }
    };
    match problem {
        Some(rule) => Err(ValidationError::new("phone", rule)),
        None => Ok(()),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A refused value as an error quotes it: its first [`SHOWN_CHARS`] characters, quoted.
fn shown(value: &str) -> String {
    match value.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{:?}…", &value[..cut]),
        None => format!("{value:?}"),
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.0)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Phone {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s)
    }
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The recipients of one send: 1 to 2,000 phone numbers, no number twice, and either all
/// domestic or all international.
///
/// ```
/// use sendcloud_proto::Recipients;
/// let r = Recipients::parse("13800000000,13800000001").unwrap();
/// assert_eq!(r.len(), 2);
/// assert_eq!(Recipients::parse("13800000000,13800000000").unwrap_err().field, "phone");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Recipients {
    phones: Vec<Phone>,
    international: bool,
    /// The numbers joined with commas (the `phone` parameter): made once, not again for
    /// every attempt of a send.
    joined: Box<str>,
}

impl fmt::Debug for Recipients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recipients")
            .field("phones", &self.phones)
            .field("international", &self.international)
            .finish()
    }
}

impl Recipients {
    /// Checks a list of phone numbers.
    pub fn new(phones: Vec<Phone>) -> Result<Recipients, ValidationError> {
        if phones.is_empty() {
            return Err(ValidationError::new(
                "phone",
                "at least one recipient is required",
            ));
        }
        if phones.len() > MAX_RECIPIENTS {
            return Err(ValidationError::new(
                "phone",
                format!(
                    "at most {MAX_RECIPIENTS} recipients per send, got {} (use Batches / send_bulk for more)",
                    phones.len()
                ),
            ));
        }
        let international = phones[0].is_international();
        let mut seen: HashSet<u128, BuildHasherDefault<KeyHasher>> =
            HashSet::with_capacity_and_hasher(phones.len(), BuildHasherDefault::default());
        for (i, p) in phones.iter().enumerate() {
            if p.is_international() != international {
                return Err(ValidationError::new(
                    "phone",
                    format!("recipient {} mixes international (00 or +) and domestic numbers in one send", i + 1),
                ));
            }
            if !seen.insert(p.key()) {
                return Err(ValidationError::new(
                    "phone",
                    format!("recipient {} ({}) is listed twice", i + 1, p.masked()),
                ));
            }
        }
        let joined = join(&phones);
        Ok(Recipients {
            phones,
            international,
            joined,
        })
    }

    /// One recipient.
    pub fn one(phone: Phone) -> Recipients {
        let international = phone.is_international();
        Recipients {
            joined: phone.as_str().into(),
            phones: vec![phone],
            international,
        }
    }

    /// Parses a comma-separated list: every number with [`Phone::parse`], then the list
    /// with [`Recipients::new`]. One invalid number refuses the whole list, and the
    /// refusal names it: `recipient 2: "12345" has 5 digits; ...`. To send to the valid
    /// numbers of a list and report the others, use [`Recipients::parse_each`].
    ///
    /// ```
    /// use sendcloud_proto::Recipients;
    /// let err = Recipients::parse("13800000000, 12345").unwrap_err();
    /// assert!(err.rule.starts_with(r#"recipient 2: "12345" has 5 digits"#));
    /// ```
    pub fn parse(list: &str) -> Result<Recipients, ValidationError> {
        let mut phones = Vec::with_capacity(list.len() / 12 + 1);
        for (i, (_, parsed)) in Recipients::parse_each(list).enumerate() {
            match parsed {
                Ok(p) => phones.push(p),
                Err(e) => {
                    return Err(ValidationError::new(
                        "phone",
                        format!("recipient {}: {}", i + 1, e.rule),
                    ))
                }
            }
        }
        Recipients::new(phones)
    }

    /// Parses each number of a comma-separated list on its own, in order: the number as
    /// written (trimmed) and what [`Phone::parse`] makes of it. Nothing here checks the
    /// list as a whole (size, repeats, mixing domestic and international): give the
    /// valid numbers to [`Recipients::new`] (or [`crate::Batches`]) for that.
    ///
    /// ```
    /// use sendcloud_proto::{Phone, Recipients};
    /// let (good, bad): (Vec<_>, Vec<_>) =
    ///     Recipients::parse_each("13800000000, 12345,13800000001").partition(|(_, p)| p.is_ok());
    /// let good: Vec<Phone> = good.into_iter().filter_map(|(_, p)| p.ok()).collect();
    /// assert_eq!(Recipients::new(good).unwrap().joined(), "13800000000,13800000001");
    /// assert_eq!(bad.len(), 1);
    /// assert_eq!(bad[0].0, "12345");
    /// ```
    pub fn parse_each(
        list: &str,
    ) -> impl Iterator<Item = (&str, Result<Phone, ValidationError>)> + '_ {
        list.split(',').map(|written| {
            let written = written.trim();
            (written, Phone::parse(written))
        })
    }

    /// The phone numbers.
    pub fn phones(&self) -> &[Phone] {
        &self.phones
    }

    /// How many there are (1 to 2,000).
    pub fn len(&self) -> usize {
        self.phones.len()
    }

    /// Always false: a recipient list is never empty.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether the numbers are international (`00` prefix).
    pub fn is_international(&self) -> bool {
        self.international
    }

    /// The `phone` parameter: the numbers joined with commas. Only ASCII digits and
    /// commas.
    pub fn joined(&self) -> &str {
        &self.joined
    }
}

fn join(phones: &[Phone]) -> Box<str> {
    let commas = phones.len().saturating_sub(1);
    let mut s = String::with_capacity(phones.iter().map(|p| p.0.len()).sum::<usize>() + commas);
    for (i, p) in phones.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(p.as_str());
    }
    s.into_boxed_str()
}

/// The hasher of [`Phone::key`]s in [`Recipients::new`]: a fixed multiply-xorshift mix,
/// much cheaper than SipHash for 2,000 keys, and deterministic (no random seed). A list
/// holds at most [`MAX_RECIPIENTS`] numbers, so even colliding keys stay cheap.
#[derive(Default)]
struct KeyHasher(u64);

impl KeyHasher {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;

    #[inline]
    fn mix(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(Self::K).rotate_left(29);
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u128(&mut self, n: u128) {
        self.mix(n as u64);
        self.mix((n >> 64) as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // murmur3's finalizer: every input bit reaches the high bits (which hashbrown uses
        // for its tags) and the low bits (its bucket index).
        let mut z = self.0;
        z = (z ^ (z >> 33)).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        z = (z ^ (z >> 33)).wrapping_mul(0xC4CE_B9FE_1A85_EC53);
        z ^ (z >> 33)
    }
}

impl From<Phone> for Recipients {
    fn from(p: Phone) -> Self {
        Recipients::one(p)
    }
}
