//! Kubernetes label-selector strings (`--label-filter`, `--annotation-filter`).
//!
//! `kube::core::Selector` holds and evaluates selectors (and can be handed to
//! `ListParams` for server-side filtering) but has no parser for the string form,
//! so this module parses the syntax of Kubernetes' `labels.Parse`:
//!
//! * `key=value`, `key==value`, `key!=value` (an empty value is allowed: `key=`)
//! * `key in (a,b)`, `key notin (a)` (empty members allowed, as in `(a,)`)
//! * `key` (exists) and `!key` (does not exist)
//! * requirements separated by commas, all of which must hold
//!
//! Keys must be qualified names (`example.com/name`) and values valid label
//! values, as Kubernetes checks them. The numeric `key>1` / `key<1` forms are
//! rejected with a clear error: `kube::core::Selector` cannot represent them and no
//! ExternalDNS filter in use needs them.

use std::collections::BTreeSet;

use kube::core::{Expression, Selector};

/// Why a selector string could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("selector {input:?}: found {found:?}, expected {expected}")]
    Unexpected {
        input: String,
        found: String,
        expected: &'static str,
    },
    #[error("selector {input:?}: invalid key {key:?}: {reason}")]
    InvalidKey {
        input: String,
        key: String,
        reason: &'static str,
    },
    #[error("selector {input:?}: invalid value {value:?} for key {key:?}: {reason}")]
    InvalidValue {
        input: String,
        key: String,
        value: String,
        reason: &'static str,
    },
    #[error("selector {input:?}: the numeric operators '>' and '<' are not supported")]
    NumericOperator { input: String },
}

/// Parses a selector string; an empty (or blank) string selects everything.
pub fn parse_selector(input: &str) -> Result<Selector, SelectorError> {
    let tokens = lex(input);
    Parser {
        input,
        tokens,
        pos: 0,
    }
    .parse()
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Ident(String),
    Not,
    Eq,
    DoubleEq,
    NotEq,
    Gt,
    Lt,
    Comma,
    Open,
    Close,
    End,
}

impl Token {
    fn text(&self) -> String {
        match self {
            Token::Ident(s) => s.clone(),
            Token::Not => "!".into(),
            Token::Eq => "=".into(),
            Token::DoubleEq => "==".into(),
            Token::NotEq => "!=".into(),
            Token::Gt => ">".into(),
            Token::Lt => "<".into(),
            Token::Comma => ",".into(),
            Token::Open => "(".into(),
            Token::Close => ")".into(),
            Token::End => "end of string".into(),
        }
    }
}

fn is_special(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '>' | '<')
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn lex(input: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if is_blank(c) {
            chars.next();
            continue;
        }
        if is_special(c) {
            chars.next();
            let token = match (c, chars.peek()) {
                ('!', Some('=')) => {
                    chars.next();
                    Token::NotEq
                }
                ('=', Some('=')) => {
                    chars.next();
                    Token::DoubleEq
                }
                ('!', _) => Token::Not,
                ('=', _) => Token::Eq,
                ('(', _) => Token::Open,
                (')', _) => Token::Close,
                (',', _) => Token::Comma,
                ('>', _) => Token::Gt,
                _ => Token::Lt,
            };
            tokens.push(token);
            continue;
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            if is_blank(c) || is_special(c) {
                break;
            }
            word.push(c);
            chars.next();
        }
        tokens.push(Token::Ident(word));
    }
    tokens.push(Token::End);
    tokens
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).unwrap_or(&Token::End)
    }

    fn next(&mut self) -> Token {
        let token = self.peek().clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    fn unexpected(&self, found: &Token, expected: &'static str) -> SelectorError {
        SelectorError::Unexpected {
            input: self.input.to_string(),
            found: found.text(),
            expected,
        }
    }

    fn parse(mut self) -> Result<Selector, SelectorError> {
        let mut expressions = Vec::new();
        loop {
            match self.peek() {
                Token::End => break,
                Token::Ident(_) | Token::Not => {
                    expressions.push(self.requirement()?);
                    match self.next() {
                        Token::End => break,
                        Token::Comma => {
                            if !matches!(self.peek(), Token::Ident(_) | Token::Not) {
                                let found = self.peek().clone();
                                return Err(self.unexpected(&found, "an identifier after ','"));
                            }
                        }
                        other => return Err(self.unexpected(&other, "',' or end of string")),
                    }
                }
                other => {
                    let other = other.clone();
                    return Err(self.unexpected(&other, "'!', an identifier or end of string"));
                }
            }
        }
        Ok(expressions.into_iter().collect())
    }

    fn requirement(&mut self) -> Result<Expression, SelectorError> {
        let negated = matches!(self.peek(), Token::Not);
        if negated {
            self.next();
        }
        let key = match self.next() {
            Token::Ident(key) => key,
            other => return Err(self.unexpected(&other, "an identifier")),
        };
        self.check_key(&key)?;
        if negated {
            return Ok(Expression::DoesNotExist(key));
        }
        if matches!(self.peek(), Token::End | Token::Comma) {
            return Ok(Expression::Exists(key));
        }
        match self.next() {
            Token::Eq | Token::DoubleEq => {
                let value = self.exact_value()?;
                self.check_value(&key, &value)?;
                Ok(Expression::Equal(key, value))
            }
            Token::NotEq => {
                let value = self.exact_value()?;
                self.check_value(&key, &value)?;
                Ok(Expression::NotEqual(key, value))
            }
            Token::Ident(word) if word == "in" || word == "notin" => {
                let values = self.value_set()?;
                for value in &values {
                    self.check_value(&key, value)?;
                }
                Ok(if word == "in" {
                    Expression::In(key, values)
                } else {
                    Expression::NotIn(key, values)
                })
            }
            Token::Gt | Token::Lt => Err(SelectorError::NumericOperator {
                input: self.input.to_string(),
            }),
            other => Err(self.unexpected(&other, "one of =, ==, !=, in, notin")),
        }
    }

    fn exact_value(&mut self) -> Result<String, SelectorError> {
        if matches!(self.peek(), Token::End | Token::Comma) {
            return Ok(String::new());
        }
        match self.next() {
            Token::Ident(value) => Ok(value),
            other => Err(self.unexpected(&other, "a value")),
        }
    }

    fn value_set(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        match self.next() {
            Token::Open => {}
            other => return Err(self.unexpected(&other, "'('")),
        }
        let mut values = BTreeSet::new();
        // An empty member stands for the empty value, as in Kubernetes: `()`,
        // `(,a)`, `(a,)` and `(a,,b)` all contain "".
        let mut expect_value = true;
        loop {
            match self.next() {
                Token::Ident(value) if expect_value => {
                    values.insert(value);
                    expect_value = false;
                }
                Token::Comma => {
                    if expect_value {
                        values.insert(String::new());
                    }
                    expect_value = true;
                }
                Token::Close => {
                    if expect_value {
                        values.insert(String::new());
                    }
                    return Ok(values);
                }
                other => return Err(self.unexpected(&other, "a value, ',' or ')'")),
            }
        }
    }

    fn check_key(&self, key: &str) -> Result<(), SelectorError> {
        qualified_name(key).map_err(|reason| SelectorError::InvalidKey {
            input: self.input.to_string(),
            key: key.to_string(),
            reason,
        })
    }

    fn check_value(&self, key: &str, value: &str) -> Result<(), SelectorError> {
        label_value(value).map_err(|reason| SelectorError::InvalidValue {
            input: self.input.to_string(),
            key: key.to_string(),
            value: value.to_string(),
            reason,
        })
    }
}

/// `[A-Za-z0-9]` at both ends, `[-A-Za-z0-9_.]` inside.
fn is_label_like(s: &str) -> bool {
    let bytes = s.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// Kubernetes' `IsQualifiedName`: an optional DNS-subdomain prefix and `/`, then a
/// name of at most 63 characters.
fn qualified_name(key: &str) -> Result<(), &'static str> {
    let name = match key.split_once('/') {
        None => key,
        Some((prefix, name)) => {
            if prefix.is_empty() {
                return Err("the prefix before '/' is empty");
            }
            if !is_dns_subdomain(prefix) {
                return Err("the prefix must be a lower-case DNS subdomain");
            }
            if name.contains('/') {
                return Err("a key has at most one '/'");
            }
            name
        }
    };
    if name.is_empty() {
        return Err("the name part is empty");
    }
    if name.len() > 63 {
        return Err("the name part is longer than 63 characters");
    }
    if !is_label_like(name) {
        return Err(
            "the name must be alphanumeric, '-', '_' or '.', starting and ending alphanumeric",
        );
    }
    Ok(())
}

/// Kubernetes' `IsValidLabelValue`: empty, or up to 63 label-like characters.
fn label_value(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        return Ok(());
    }
    if value.len() > 63 {
        return Err("longer than 63 characters");
    }
    if !is_label_like(value) {
        return Err("must be alphanumeric, '-', '_' or '.', starting and ending alphanumeric");
    }
    Ok(())
}

/// Kubernetes' `IsDNS1123Subdomain`.
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            let bytes = label.as_bytes();
            match (bytes.first(), bytes.last()) {
                (Some(first), Some(last)) => {
                    (first.is_ascii_lowercase() || first.is_ascii_digit())
                        && (last.is_ascii_lowercase() || last.is_ascii_digit())
                        && bytes
                            .iter()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
                }
                _ => false,
            }
        })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use kube::core::SelectorExt;

    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn set(values: &[&str]) -> BTreeSet<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn parses_every_form() {
        let cases: Vec<(&str, Vec<Expression>)> = vec![
            ("a=b", vec![Expression::Equal("a".into(), "b".into())]),
            ("a==b", vec![Expression::Equal("a".into(), "b".into())]),
            ("a!=b", vec![Expression::NotEqual("a".into(), "b".into())]),
            ("a=", vec![Expression::Equal("a".into(), String::new())]),
            (
                "a in (x, y)",
                vec![Expression::In("a".into(), set(&["x", "y"]))],
            ),
            (
                "a notin (x)",
                vec![Expression::NotIn("a".into(), set(&["x"]))],
            ),
            ("a in ()", vec![Expression::In("a".into(), set(&[""]))]),
            (
                "a in (x,)",
                vec![Expression::In("a".into(), set(&["x", ""]))],
            ),
            ("a", vec![Expression::Exists("a".into())]),
            ("!a", vec![Expression::DoesNotExist("a".into())]),
            (
                " app = web , !legacy, tier in (a,b) ",
                vec![
                    Expression::Equal("app".into(), "web".into()),
                    Expression::DoesNotExist("legacy".into()),
                    Expression::In("tier".into(), set(&["a", "b"])),
                ],
            ),
            (
                "kubernetes.io/ingress.class=nginx",
                vec![Expression::Equal(
                    "kubernetes.io/ingress.class".into(),
                    "nginx".into(),
                )],
            ),
            // A key may be named like a keyword.
            ("in=x", vec![Expression::Equal("in".into(), "x".into())]),
        ];
        for (input, expected) in cases {
            let parsed = parse_selector(input).unwrap();
            let expected: Selector = expected.into_iter().collect();
            assert_eq!(parsed, expected, "{input}");
        }
        assert!(parse_selector("").unwrap().selects_all());
        assert!(parse_selector("  ").unwrap().selects_all());
    }

    #[test]
    fn rejects_malformed_selectors() {
        for bad in [
            "a=b,",
            ",a",
            "a b",
            "a in x",
            "a in (x",
            "a in (x y)",
            "!a=b",
            "=b",
            "a=b=c",
            "a=(b)",
            "a=b c",
            "!",
            "a!",
            "/a=b",
            "A.B/c=d",
            "a/b/c=d",
            "-a=b",
            "a=b!",
            "a=-b",
        ] {
            assert!(parse_selector(bad).is_err(), "{bad:?} should fail");
        }
        assert_eq!(
            parse_selector("a>1"),
            Err(SelectorError::NumericOperator {
                input: "a>1".into()
            })
        );
        let long = "v".repeat(64);
        assert!(matches!(
            parse_selector(&format!("a={long}")),
            Err(SelectorError::InvalidValue { .. })
        ));
    }

    #[test]
    fn matches_like_kubernetes() {
        let labels = map(&[("app", "web"), ("tier", "front")]);
        let yes = [
            "app=web",
            "app",
            "!legacy",
            "tier in (front, back)",
            "tier notin (db)",
            "legacy notin (x)",
            "app!=api",
            "legacy!=x",
            "",
        ];
        for s in yes {
            assert!(parse_selector(s).unwrap().matches(&labels), "{s}");
        }
        let no = [
            "app=api",
            "legacy",
            "!app",
            "tier in (db)",
            "app=web,legacy",
        ];
        for s in no {
            assert!(!parse_selector(s).unwrap().matches(&labels), "{s}");
        }
    }
}
