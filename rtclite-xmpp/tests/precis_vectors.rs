//! The example tables of RFC 7622 §3.5 (JIDs) and RFC 8265 §3.6, §4.3
//! (usernames and passwords), cut from the RFC texts by
//! `tests/vectors/extract.py`, run through the PRECIS enforcement.

use rtclite_xmpp::jid::{Jid, JidError};
use rtclite_xmpp::precis::{self, PrecisError};

fn table(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .filter_map(|l| {
            let (n, s) = l.split_once('\t')?;
            Some((n.parse().ok()?, s.to_owned()))
        })
        .collect()
}

/// Example `n` (empty when missing, which fails every assertion on it).
fn row(rows: &[(u32, String)], n: u32) -> &str {
    rows.iter()
        .find(|(k, _)| *k == n)
        .map(|(_, s)| s.as_str())
        .unwrap_or_default()
}

// [RFC 7622 §3.3 test] "The rules and considerations provided in that specification MUST be
// applied to XMPP localparts."
#[test]
fn rfc7622_table1_legal_jids() {
    let rows = table(include_str!("vectors/jid-rfc7622.txt"));
    assert_eq!(rows.len(), 23, "Tables 1 and 2 of RFC 7622 §3.5");
    for (n, s) in rows.iter().filter(|(n, _)| *n <= 15) {
        let j = Jid::prepared(s).unwrap_or_else(|e| panic!("example {n} <{s}>: {e}"));
        assert_eq!(Jid::new(s).unwrap().domain(), j.domain(), "example {n}");
    }
    // Example 7 keeps SHARP S; example 9's CAPITAL SIGMA is case-mapped to
    // example 10's SMALL SIGMA; example 11's FINAL SIGMA stays different.
    assert_eq!(
        Jid::prepared(row(&rows, 7)).unwrap().local(),
        Some("fu\u{DF}ball")
    );
    let nine = Jid::prepared(row(&rows, 9)).unwrap();
    let ten = Jid::prepared(row(&rows, 10)).unwrap();
    let eleven = Jid::prepared(row(&rows, 11)).unwrap();
    assert_eq!(nine, ten);
    assert_ne!(ten, eleven);
    // Example 12: BLACK CHESS KING is allowed in a resourcepart.
    assert_eq!(
        Jid::prepared(row(&rows, 12)).unwrap().resource(),
        Some("\u{265A}")
    );
    // Example 15: the domainpart ends at the first '/'.
    let fifteen = Jid::prepared(row(&rows, 15)).unwrap();
    assert_eq!(
        (fifteen.domain(), fifteen.resource()),
        ("a.example.com", Some("b@example.net"))
    );
}

#[test]
fn rfc7622_table2_violations() {
    let rows = table(include_str!("vectors/jid-rfc7622.txt"));
    let local_error = |n| match Jid::prepared(row(&rows, n)) {
        Err(JidError::Precis {
            part: "localpart",
            error,
        }) => error,
        other => panic!("example {n}: {other:?}"),
    };
    // 16: QUOTATION MARK is excluded from localparts (RFC 7622 §3.3.1).
    assert_eq!(local_error(16), PrecisError::ExcludedFromLocalpart('"'));
    // 17: SPACE, 20: ROMAN NUMERAL FOUR (compatibility equivalent), 21: a symbol.
    for (n, cp) in [(17, ' '), (20, '\u{2163}'), (21, '\u{265A}')] {
        assert!(
            matches!(local_error(n), PrecisError::Disallowed { code_point, .. } if code_point == cp),
            "example {n}"
        );
    }
    // 19, 22, 23: empty parts or no domainpart.
    assert_eq!(Jid::prepared(row(&rows, 19)), Err(JidError::EmptyLocal));
    assert_eq!(Jid::prepared(row(&rows, 22)), Err(JidError::EmptyDomain));
    assert_eq!(Jid::prepared(row(&rows, 23)), Err(JidError::EmptyDomain));
    // 18 (a leading SPACE in the resourcepart) is listed as a violation, but
    // the OpaqueString profile that RFC 7622 §3.4 applies to resourceparts
    // allows SPACE (a Zs code point, FREE_PVAL) anywhere, and RFC 8265 §4.2
    // has no rule against a leading one: the table and the rules disagree,
    // and we follow the rules.
    assert_eq!(
        Jid::prepared(row(&rows, 18)).unwrap().resource(),
        Some(" foo")
    );
}

// [RFC 8265 §3.3.3 test] "the entity MUST ensure that the username is not zero bytes in length"
#[test]
fn rfc8265_userparts() {
    let rows = table(include_str!("vectors/precis-rfc8265.txt"));
    assert_eq!(rows.len(), 18, "Tables 1 to 4 of RFC 8265");
    for n in 1..=7 {
        precis::username_case_mapped(row(&rows, n)).unwrap_or_else(|e| panic!("example {n}: {e}"));
    }
    assert_eq!(
        precis::username_case_mapped(row(&rows, 5)).unwrap(),
        "\u{3C3}"
    );
    assert_eq!(
        precis::username_case_mapped(row(&rows, 7)).unwrap(),
        "\u{3C2}"
    );
    assert!(matches!(
        precis::username_case_mapped(row(&rows, 8)),
        Err(PrecisError::Disallowed {
            code_point: ' ',
            offset: 3,
            ..
        })
    ));
    assert_eq!(
        precis::username_case_mapped(row(&rows, 9)),
        Err(PrecisError::Empty)
    );
    assert!(matches!(
        precis::username_case_mapped(row(&rows, 10)),
        Err(PrecisError::Disallowed {
            code_point: '\u{2163}',
            offset: 5,
            ..
        })
    ));
    assert!(matches!(
        precis::username_case_mapped(row(&rows, 11)),
        Err(PrecisError::Disallowed {
            code_point: '\u{221E}',
            ..
        })
    ));
}

// [RFC 8265 §4.2.2 test] "Any instances of non-ASCII space MUST be mapped to SPACE (U+0020)"
#[test]
fn rfc8265_passwords() {
    let rows = table(include_str!("vectors/precis-rfc8265.txt"));
    for n in 12..=16 {
        precis::opaque_string(row(&rows, n)).unwrap_or_else(|e| panic!("example {n}: {e}"));
    }
    // 12 and 13 differ by case and stay different.
    assert_ne!(
        precis::opaque_string(row(&rows, 12)).unwrap(),
        precis::opaque_string(row(&rows, 13)).unwrap()
    );
    // 16: OGHAM SPACE MARK is mapped to SPACE.
    assert!(row(&rows, 16).contains('\u{1680}'));
    assert_eq!(precis::opaque_string(row(&rows, 16)).unwrap(), "foo bar");
    assert_eq!(
        precis::opaque_string(row(&rows, 17)),
        Err(PrecisError::Empty)
    );
    assert!(matches!(
        precis::opaque_string(row(&rows, 18)),
        Err(PrecisError::Disallowed {
            code_point: '\t',
            ..
        })
    ));
}

#[test]
fn width_case_and_normalization() {
    // FULLWIDTH LATIN CAPITAL LETTER A..: width-mapped, then lowercased.
    assert_eq!(
        precis::username_case_mapped("\u{FF2A}ULIET").unwrap(),
        "juliet"
    );
    // A + COMBINING RING ABOVE is composed to U+00E5 by NFC.
    assert_eq!(precis::username_case_mapped("A\u{30A}").unwrap(), "\u{E5}");
    assert_eq!(precis::opaque_string("a\u{30A}").unwrap(), "\u{E5}");
    // Passwords keep fullwidth characters (no width mapping, RFC 8265 §4.2.2).
    assert_eq!(precis::opaque_string("\u{FF21}").unwrap(), "\u{FF21}");
    // Right-to-left usernames follow the Bidi Rule.
    assert!(precis::username_case_mapped("\u{5E9}\u{5DC}\u{5D5}\u{5DD}").is_ok());
    assert_eq!(
        precis::username_case_mapped("a\u{5D0}"),
        Err(PrecisError::Bidi(5))
    );
}

// [RFC 7622 §3.2.1 test] "each A-label MUST be converted to a U-label"
#[test]
fn domainparts() {
    assert_eq!(precis::domainpart("EXAMPLE.com.").unwrap(), "example.com");
    assert_eq!(
        precis::domainpart("xn--bcher-kva.example").unwrap(),
        "b\u{FC}cher.example"
    );
    assert_eq!(
        precis::domainpart("B\u{DC}CHER.example").unwrap(),
        "b\u{FC}cher.example"
    );
    assert_eq!(precis::domainpart("[::1]").unwrap(), "[::1]");
    assert_eq!(precis::domainpart("192.0.2.1").unwrap(), "192.0.2.1");
    assert_eq!(precis::domainpart("[not-v6]"), Err(PrecisError::Domain));
    assert_eq!(precis::domainpart("a..b"), Err(PrecisError::Domain));
    // SMALL COMMERCIAL AT maps to '@' (found by the proptest below): not an LDH character.
    assert_eq!(precis::domainpart("a\u{FE6B}b"), Err(PrecisError::Domain));
    assert_eq!(precis::domainpart("a&b.example"), Err(PrecisError::Domain));
    assert_eq!(precis::domainpart("-a.example"), Err(PrecisError::Domain));
}

#[test]
fn sasl_preparation() {
    use rtclite_xmpp::sasl::{ScramClient, ScramHash};
    // RFC 5802 §5 vector user "user", password "pencil": unchanged by preparation.
    let c = ScramClient::try_new(
        ScramHash::Sha1,
        "user",
        "pencil",
        "fyko+d2lbbFgONRv9qkxdawL",
    )
    .unwrap();
    assert_eq!(c.client_first(), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
    // NO-BREAK SPACE in a password becomes SPACE; a TAB is refused.
    assert!(ScramClient::try_new(ScramHash::Sha256, "user", "pen\u{A0}cil", "abc").is_ok());
    assert!(ScramClient::try_new(ScramHash::Sha256, "user", "pen\tcil", "abc").is_err());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Any string: every profile returns (no panic), and an accepted JID
    /// prepares to itself.
    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,24}") {
        let _ = precis::username_case_mapped(&s);
        let _ = precis::opaque_string(&s);
        let _ = precis::domainpart(&s);
        if let Ok(j) = Jid::prepared(&s) {
            proptest::prop_assert_eq!(Jid::prepared(j.as_str()), Ok(j.clone()));
        }
    }

    /// Printable ASCII usernames: enforcement is lowercasing, and idempotent.
    #[test]
    fn ascii_usernames_are_lowercased(s in "[!-~]{1,32}") {
        let once = precis::username_case_mapped(&s).unwrap().into_owned();
        proptest::prop_assert_eq!(&once, &s.to_ascii_lowercase());
        proptest::prop_assert_eq!(precis::username_case_mapped(&once).unwrap(), once.as_str());
    }
}
