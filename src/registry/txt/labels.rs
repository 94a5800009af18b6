//! TXT values: the labels of an ownership record as ExternalDNS writes them,
//! `"heritage=external-dns,external-dns/owner=…,external-dns/resource=…"`.

use crate::endpoint::label;
use crate::registry::Labels;

/// The heritage every ownership record names, and the prefix of its label keys.
pub const HERITAGE: &str = "external-dns";

const HERITAGE_KEY: &str = "heritage";

/// Why a TXT value is not an ownership record. Such a TXT record is an ordinary
/// record (ExternalDNS's `ErrInvalidHeritage`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidHeritage {
    /// No `heritage=external-dns` token: some other TXT record.
    #[error("the TXT value has no heritage=external-dns")]
    Missing,
    /// A `heritage` token names something else: another tool's record.
    #[error("the TXT value names heritage {0:?}, not external-dns")]
    Foreign(String),
}

/// The labels as plain text: `heritage=external-dns` then `external-dns/<key>=<value>`
/// for every label in key order, joined by commas; the encryption nonce is never
/// written.
pub fn serialize_labels(labels: &Labels) -> String {
    let mut text = format!("{HERITAGE_KEY}={HERITAGE}");
    for (key, value) in labels {
        if key != label::ENCRYPTION_NONCE {
            text.push_str(&format!(",{HERITAGE}/{key}={value}"));
        }
    }
    text
}

/// Wraps a TXT value in the literal double quotes ExternalDNS writes (and
/// Cloudflare returns as part of the content).
pub fn quote(text: &str) -> String {
    format!("\"{text}\"")
}

/// Reads plain-text labels as ExternalDNS v0.22 does: surrounding quotes dropped,
/// tokens split at commas and each at its first `=`; `heritage` must be
/// `external-dns` every time it appears and must appear; `external-dns/<key>`
/// tokens become labels (unknown keys kept); anything else is ignored.
pub fn parse_labels(text: &str) -> Result<Labels, InvalidHeritage> {
    let mut labels = Labels::new();
    let mut heritage_found = false;
    for token in text.trim_matches('"').split(',') {
        let Some((key, value)) = token.split_once('=') else {
            continue;
        };
        if key == HERITAGE_KEY {
            if value != HERITAGE {
                return Err(InvalidHeritage::Foreign(value.to_string()));
            }
            heritage_found = true;
        } else if key.starts_with(HERITAGE) {
            // `external-dnsx=…` keeps its whole key, as in ExternalDNS.
            let name = key
                .strip_prefix(HERITAGE)
                .and_then(|rest| rest.strip_prefix('/'))
                .unwrap_or(key);
            labels.insert(name.to_string(), value.to_string());
        }
    }
    if heritage_found {
        Ok(labels)
    } else {
        Err(InvalidHeritage::Missing)
    }
}

/// Whether plain text reads as labels ([`parse_labels`] would succeed),
/// without building them: a pass asks it of every TXT record of the zone.
pub fn is_heritage(text: &str) -> bool {
    let mut heritage_found = false;
    for token in text.trim_matches('"').split(',') {
        if let Some((HERITAGE_KEY, value)) = token.split_once('=') {
            if value != HERITAGE {
                return false;
            }
            heritage_found = true;
        }
    }
    heritage_found
}

/// The labels without the in-memory encryption nonce: what an ownership record
/// says, independent of how it was encrypted.
pub fn without_nonce(labels: &Labels) -> Labels {
    let mut labels = labels.clone();
    labels.remove(label::ENCRYPTION_NONCE);
    labels
}

/// Whether two label sets say the same thing, whatever their encryption nonces.
pub fn same_labels(a: &Labels, b: &Labels) -> bool {
    without_nonce(a) == without_nonce(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn serialises_sorted_and_skips_the_nonce() {
        let l = labels(&[
            ("resource", "ingress/default/web"),
            ("owner", "default"),
            (label::ENCRYPTION_NONCE, "abc"),
        ]);
        assert_eq!(
            serialize_labels(&l),
            "heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/default/web"
        );
        assert_eq!(serialize_labels(&Labels::new()), "heritage=external-dns");
        assert_eq!(quote("x"), "\"x\"");
    }

    #[test]
    fn heritage_rules() {
        assert_eq!(parse_labels("heritage=external-dns"), Ok(Labels::new()));
        assert_eq!(
            parse_labels("external-dns/owner=a"),
            Err(InvalidHeritage::Missing)
        );
        assert_eq!(
            parse_labels("heritage=external-dns,heritage=mate"),
            Err(InvalidHeritage::Foreign("mate".to_string()))
        );
        // A value with '=' is read whole, so this heritage is not external-dns.
        assert_eq!(
            parse_labels("heritage=external-dns=x"),
            Err(InvalidHeritage::Foreign("external-dns=x".to_string()))
        );
        // A token with leading white space is not the heritage token.
        assert_eq!(
            parse_labels("owner=x, heritage=external-dns"),
            Err(InvalidHeritage::Missing)
        );
        assert_eq!(parse_labels(""), Err(InvalidHeritage::Missing));
        assert_eq!(parse_labels("\"\"\""), Err(InvalidHeritage::Missing));
    }

    #[test]
    fn keys_are_read_as_externaldns_reads_them() {
        let parsed =
            parse_labels("\"\"heritage=external-dns,external-dnsx=1,external-dns=2,external-dns/=3,other/owner=4,external-dns/owner=a=b\"")
                .unwrap();
        assert_eq!(
            parsed,
            labels(&[
                ("external-dnsx", "1"),
                ("external-dns", "2"),
                ("", "3"),
                ("owner", "a=b"),
            ])
        );
        // The last of two equal keys wins.
        assert_eq!(
            parse_labels("heritage=external-dns,external-dns/owner=a,external-dns/owner=b")
                .unwrap(),
            labels(&[("owner", "b")])
        );
    }

    #[test]
    fn nonces_do_not_make_labels_differ() {
        let a = labels(&[("owner", "x"), (label::ENCRYPTION_NONCE, "n1")]);
        let b = labels(&[("owner", "x")]);
        let c = labels(&[("owner", "y"), (label::ENCRYPTION_NONCE, "n1")]);
        assert!(same_labels(&a, &b));
        assert!(!same_labels(&a, &c));
        assert_eq!(without_nonce(&a), b);
    }

    proptest! {
        #[test]
        fn is_heritage_says_what_parse_labels_says(
            tokens in proptest::collection::vec(
                prop_oneof![
                    Just("heritage=external-dns".to_string()),
                    Just("heritage=other".to_string()),
                    Just("heritage".to_string()),
                    "external-dns/[a-z]{1,5}=[a-z=]{0,5}",
                    "[a-z=\"]{0,8}",
                ],
                0..5,
            ),
            quoted in any::<bool>(),
        ) {
            let text = tokens.join(",");
            let text = if quoted { quote(&text) } else { text };
            prop_assert_eq!(is_heritage(&text), parse_labels(&text).is_ok(), "{}", text);
        }

        #[test]
        fn labels_to_text_and_back(
            l in proptest::collection::btree_map(
                "[a-z0-9._/-]{1,16}",
                "[A-Za-z0-9 ._/:=-]{0,24}[A-Za-z0-9._/:=-]",
                0..6,
            ),
        ) {
            let l: Labels = l.into_iter().collect();
            let mut expected = l.clone();
            expected.remove(label::ENCRYPTION_NONCE);
            prop_assert_eq!(parse_labels(&serialize_labels(&l)), Ok(expected.clone()));
            prop_assert_eq!(parse_labels(&quote(&serialize_labels(&l))), Ok(expected));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,200}") {
            let _ = parse_labels(&text);
        }

        #[test]
        fn arbitrary_tokens_never_panic(tokens in proptest::collection::vec("[a-z=,\"/ -]{0,12}", 0..8)) {
            let text = format!("heritage=external-dns,{}", tokens.join(","));
            let _ = parse_labels(&text);
        }
    }
}
