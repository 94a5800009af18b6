//! `--fqdn-template`: host names computed from an object with a Go template, as
//! ExternalDNS does (`{{.Name}}.{{.Namespace}}.example.com`).
//!
//! Implemented here rather than with a template crate: `gtmpl`, the Rust port of
//! Go's `text/template`, is marked passively maintained and would still need the
//! Kubernetes object mapped onto Go's field names; the subset below covers what
//! ExternalDNS users write, and every failure is an error value, never a panic.
//!
//! # Supported
//!
//! * Text, `{{ pipeline }}` actions, `{{- ` / ` -}}` whitespace trimming and
//!   `{{/* comments */}}`.
//! * Field chains on the object: `.Name`, `.Namespace`, `.Labels.team`,
//!   `.Annotations.key`, `.Kind`, `.APIVersion`, `.ObjectMeta.Name`,
//!   `.Spec.…`, `.Status.…`. Go field names are matched against the JSON field
//!   names (`.Spec.ClusterIP` is `spec.clusterIP`); `ObjectMeta` fields are
//!   promoted to the top, as in Go. Map keys (labels, annotations, selectors) are
//!   matched exactly; a missing map key prints `<no value>`, as in Go.
//! * Literals: `"strings"` (with Go escapes), `` `raw strings` ``, integers,
//!   `true`, `false`.
//! * Pipelines (`.Name | toLower`), parenthesised sub-pipelines and field access
//!   on them (`(index .Status.LoadBalancer.Ingress 0).IP`).
//! * `{{if}}`, `{{else if}}`, `{{else}}`, `{{end}}` with Go truthiness.
//! * Functions: `index`, `toLower`, `trimPrefix`, `trimSuffix`, `trim`, `replace`,
//!   `contains`, `hasKey`, `isIPv4`, `isIPv6` (the ExternalDNS function set), and
//!   `eq`, `ne`, `not`, `and`, `or`.
//!
//! # Not supported (a parse error naming the construct)
//!
//! `range`, `with`, `define`, `template`, `block`, `break`, `continue`,
//! variables (`$x`, `:=`), method calls with arguments, floating-point and
//! character literals, and functions other than those above (`printf`, `len`, `fromJson`, `isSource`, …).
//!
//! # Known differences from Go
//!
//! A field the object does not carry prints as the empty string (the JSON form
//! cannot tell an unset optional field from a misspelt one); nested objects print
//! as `map[key:value]`.

use std::net::IpAddr;

use serde_json::{Map, Value as Json};

/// Why a template could not be parsed or run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The template text is not valid (reported at start-up).
    #[error("--fqdn-template {template:?}: {message}")]
    Parse { template: String, message: String },
    /// The template failed on one object (reported as a problem on that object).
    #[error("--fqdn-template failed: {0}")]
    Exec(String),
}

/// A parsed `--fqdn-template`.
#[derive(Clone, Debug, PartialEq)]
pub struct FqdnTemplate {
    text: String,
    body: Vec<Node>,
}

impl FqdnTemplate {
    /// Parses the `--fqdn-template` values. As in ExternalDNS v0.22 several values
    /// are joined with `,` into one template; `None` when all are blank.
    pub fn parse<S: AsRef<str>>(templates: &[S]) -> Result<Option<FqdnTemplate>, TemplateError> {
        let text = templates
            .iter()
            .map(|t| t.as_ref())
            .filter(|t| !t.trim().is_empty())
            .collect::<Vec<_>>()
            .join(",");
        if text.trim().is_empty() {
            return Ok(None);
        }
        let tokens = lex(&text).map_err(|message| TemplateError::Parse {
            template: text.clone(),
            message,
        })?;
        let body = Parser {
            tokens,
            pos: 0,
            depth: 0,
        }
        .parse_body()
        .map_err(|message| TemplateError::Parse {
            template: text.clone(),
            message,
        })?;
        Ok(Some(FqdnTemplate { text, body }))
    }

    /// The template text as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Runs the template on an object and splits the output into host names as
    /// ExternalDNS does: on `,`, each trimmed, one trailing dot dropped, empty
    /// names dropped.
    pub fn hostnames<T: serde::Serialize>(&self, object: &T) -> Result<Vec<String>, TemplateError> {
        let data = serde_json::to_value(object).map_err(|e| TemplateError::Exec(e.to_string()))?;
        let output = self.render(&data)?;
        Ok(output
            .split(',')
            .map(str::trim)
            .map(|name| name.strip_suffix('.').unwrap_or(name))
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect())
    }

    /// Runs the template on the JSON form of an object.
    pub fn render(&self, data: &Json) -> Result<String, TemplateError> {
        let root = match data {
            Json::Object(map) => map,
            _ => {
                return Err(TemplateError::Exec(
                    "the object is not a JSON object".into(),
                ));
            }
        };
        let mut out = String::new();
        Exec { root }
            .run(&self.body, &mut out)
            .map_err(TemplateError::Exec)?;
        Ok(out)
    }
}

// ---------------------------------------------------------------------------
// Lexing

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Text(String),
    /// Start of an action (`{{`).
    Open,
    /// End of an action (`}}`).
    Close,
    Field(Vec<String>),
    /// A field chain right after `)`.
    Chain(Vec<String>),
    Dot,
    Ident(String),
    Str(String),
    Int(i64),
    Pipe,
    LParen,
    RParen,
}

/// Splits the template into text and action tokens, applying trim markers.
fn lex(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = text;
    let mut trim_next_text = false;
    while !rest.is_empty() {
        let (before, after) = match rest.find("{{") {
            Some(i) => (&rest[..i], Some(&rest[i + 2..])),
            None => (rest, None),
        };
        let mut chunk = before.to_string();
        if trim_next_text {
            chunk = chunk.trim_start().to_string();
        }
        let Some(mut action) = after else {
            push_text(&mut tokens, chunk);
            break;
        };
        // "{{- " trims the text before the action.
        if let Some(stripped) = action.strip_prefix('-')
            && stripped.starts_with(is_space)
        {
            chunk = chunk.trim_end().to_string();
            action = stripped;
        }
        push_text(&mut tokens, chunk);
        let (content, after_close, trim_after) = split_action(action)?;
        trim_next_text = trim_after;
        rest = after_close;
        let content = content.trim();
        if content.starts_with("/*") {
            if !content.ends_with("*/") || content.len() < 4 {
                return Err("unclosed comment".into());
            }
            continue;
        }
        tokens.push(Token::Open);
        lex_action(content, &mut tokens)?;
        tokens.push(Token::Close);
    }
    Ok(tokens)
}

fn push_text(tokens: &mut Vec<Token>, text: String) {
    if !text.is_empty() {
        tokens.push(Token::Text(text));
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Finds the end of an action (`}}` outside quotes): (content, rest after `}}`,
/// whether ` -}}` asks to trim the following text).
fn split_action(action: &str) -> Result<(&str, &str, bool), String> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in action.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q {
                quote = None;
            } else if c == '\n' && q == '"' {
                return Err("unterminated quoted string".into());
            }
            continue;
        }
        match c {
            '"' | '`' => quote = Some(c),
            '}' if action[i..].starts_with("}}") => {
                let content = &action[..i];
                let rest = &action[i + 2..];
                if let Some(inner) = content.strip_suffix('-')
                    && inner.ends_with(is_space)
                {
                    return Ok((inner, rest, true));
                }
                return Ok((content, rest, false));
            }
            _ => {}
        }
    }
    if quote.is_some() {
        Err("unterminated quoted string".into())
    } else {
        Err("unclosed action: missing }}".into())
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn lex_action(content: &str, tokens: &mut Vec<Token>) -> Result<(), String> {
    let chars: Vec<char> = content.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if is_space(c) => i += 1,
            '|' => {
                tokens.push(Token::Pipe);
                i += 1;
            }
            '(' => {
                tokens.push(Token::LParen);
                i += 1;
            }
            ')' => {
                tokens.push(Token::RParen);
                i += 1;
                // `(…).Field`: a field chain applied to the parenthesised value.
                let mut chain = Vec::new();
                while chars.get(i) == Some(&'.')
                    && chars.get(i + 1).is_some_and(|c| is_ident_char(*c))
                {
                    let start = i + 1;
                    let mut end = start;
                    while end < chars.len() && is_ident_char(chars[end]) {
                        end += 1;
                    }
                    chain.push(chars[start..end].iter().collect());
                    i = end;
                }
                if !chain.is_empty() {
                    tokens.push(Token::Chain(chain));
                }
            }
            '.' => {
                // `.` alone is the object; `.A.B` is a field chain.
                let mut fields = Vec::new();
                while chars.get(i) == Some(&'.')
                    && chars.get(i + 1).is_some_and(|c| is_ident_char(*c))
                {
                    let start = i + 1;
                    let mut end = start;
                    while end < chars.len() && is_ident_char(chars[end]) {
                        end += 1;
                    }
                    fields.push(chars[start..end].iter().collect());
                    i = end;
                }
                if fields.is_empty() {
                    tokens.push(Token::Dot);
                    i += 1;
                } else {
                    tokens.push(Token::Field(fields));
                }
                if chars.get(i) == Some(&'.') {
                    return Err(format!("bad field syntax in {content:?}"));
                }
            }
            '"' => {
                let (value, next) = lex_quoted(&chars, i)?;
                tokens.push(Token::Str(value));
                i = next;
            }
            '`' => {
                let start = i + 1;
                let end = (start..chars.len())
                    .find(|&j| chars[j] == '`')
                    .ok_or("unterminated raw string")?;
                tokens.push(Token::Str(chars[start..end].iter().collect()));
                i = end + 1;
            }
            '$' => return Err("template variables ($…) are not supported".into()),
            ':' | '=' => return Err("variable assignment is not supported".into()),
            ',' => return Err("',' in an action (range variables) is not supported".into()),
            '\'' => return Err("character literals are not supported".into()),
            c if c.is_ascii_digit() || (c == '-' || c == '+') => {
                let start = i;
                i += 1;
                while i < chars.len() && (is_ident_char(chars[i]) || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let value = text
                    .parse::<i64>()
                    .map_err(|_| format!("unsupported number {text:?} (only integers)"))?;
                tokens.push(Token::Int(value));
            }
            c if is_ident_char(c) => {
                let start = i;
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
                tokens.push(Token::Ident(chars[start..i].iter().collect()));
                if chars.get(i) == Some(&'.') {
                    return Err(format!(
                        "field access on {:?} is not supported",
                        chars[start..i].iter().collect::<String>()
                    ));
                }
            }
            other => return Err(format!("unexpected {other:?} in an action")),
        }
    }
    Ok(())
}

/// Reads a Go interpreted string literal starting at `chars[start] == '"'`.
fn lex_quoted(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let mut value = String::new();
    let mut i = start + 1;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("unterminated quoted string".into());
        };
        i += 1;
        match c {
            '"' => return Ok((value, i)),
            '\\' => {
                let Some(&e) = chars.get(i) else {
                    return Err("unterminated quoted string".into());
                };
                i += 1;
                match e {
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    'r' => value.push('\r'),
                    'a' => value.push('\u{7}'),
                    'b' => value.push('\u{8}'),
                    'f' => value.push('\u{c}'),
                    'v' => value.push('\u{b}'),
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    'x' | 'u' | 'U' => {
                        let width = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = chars.iter().skip(i).take(width).collect();
                        let code = u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == width)
                            .and_then(char::from_u32)
                            .ok_or_else(|| format!("bad escape \\{e}{hex}"))?;
                        value.push(code);
                        i += width;
                    }
                    other => return Err(format!("unsupported escape \\{other}")),
                }
            }
            c => value.push(c),
        }
    }
}

// ---------------------------------------------------------------------------
// Parsing

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Text(String),
    Action(Pipeline),
    If {
        condition: Pipeline,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

type Pipeline = Vec<Command>;

#[derive(Clone, Debug, PartialEq)]
enum Command {
    /// A value on its own (a field, a literal, a sub-pipeline).
    Operand(Operand),
    /// A function call with its explicit arguments.
    Call(Func, Vec<Operand>),
}

#[derive(Clone, Debug, PartialEq)]
enum Operand {
    Field(Vec<String>),
    Str(String),
    Int(i64),
    Bool(bool),
    Sub(Pipeline),
    /// `(pipeline).Field.Field`.
    Chain(Pipeline, Vec<String>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Func {
    Index,
    ToLower,
    TrimPrefix,
    TrimSuffix,
    Trim,
    Replace,
    Contains,
    HasKey,
    IsIpv4,
    IsIpv6,
    Eq,
    Ne,
    Not,
    And,
    Or,
}

impl Func {
    fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "index" => Func::Index,
            "toLower" => Func::ToLower,
            "trimPrefix" => Func::TrimPrefix,
            "trimSuffix" => Func::TrimSuffix,
            "trim" => Func::Trim,
            "replace" => Func::Replace,
            "contains" => Func::Contains,
            "hasKey" => Func::HasKey,
            "isIPv4" => Func::IsIpv4,
            "isIPv6" => Func::IsIpv6,
            "eq" => Func::Eq,
            "ne" => Func::Ne,
            "not" => Func::Not,
            "and" => Func::And,
            "or" => Func::Or,
            _ => return None,
        })
    }
}

/// How an action ended a block: `{{end}}`, `{{else}}` or `{{else if …}}`.
enum BlockEnd {
    End,
    Else,
    ElseIf(Pipeline),
    Eof,
}

/// How deep `{{if}}` blocks and parentheses may nest (bounds the recursion).
const MAX_NESTING: usize = 64;

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Current nesting of `{{if}}` blocks and parentheses.
    depth: usize,
}

impl Parser {
    fn nested<T>(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<T, String> {
        if self.depth >= MAX_NESTING {
            return Err(format!(
                "the template nests more than {MAX_NESTING} levels deep"
            ));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn parse_body(&mut self) -> Result<Vec<Node>, String> {
        let (nodes, end) = self.parse_block()?;
        match end {
            BlockEnd::Eof => Ok(nodes),
            BlockEnd::End => Err("unexpected {{end}}".into()),
            BlockEnd::Else | BlockEnd::ElseIf(_) => Err("unexpected {{else}}".into()),
        }
    }

    fn parse_block(&mut self) -> Result<(Vec<Node>, BlockEnd), String> {
        let mut nodes = Vec::new();
        while let Some(token) = self.next() {
            match token {
                Token::Text(text) => nodes.push(Node::Text(text)),
                Token::Open => match self.peek() {
                    Some(Token::Ident(word)) if is_keyword(word) => {
                        let word = word.clone();
                        self.pos += 1;
                        match word.as_str() {
                            "if" => nodes.push(self.parse_if()?),
                            "end" => {
                                self.expect_close()?;
                                return Ok((nodes, BlockEnd::End));
                            }
                            "else" => {
                                if matches!(self.peek(), Some(Token::Ident(w)) if w == "if") {
                                    self.pos += 1;
                                    let condition = self.parse_pipeline()?;
                                    return Ok((nodes, BlockEnd::ElseIf(condition)));
                                }
                                self.expect_close()?;
                                return Ok((nodes, BlockEnd::Else));
                            }
                            "true" | "false" => {
                                self.pos -= 1;
                                nodes.push(Node::Action(self.parse_pipeline()?));
                            }
                            other => return Err(format!("{{{{{other}}}}} is not supported")),
                        }
                    }
                    _ => nodes.push(Node::Action(self.parse_pipeline()?)),
                },
                other => return Err(format!("unexpected {other:?}")),
            }
        }
        Ok((nodes, BlockEnd::Eof))
    }

    fn parse_if(&mut self) -> Result<Node, String> {
        let condition = self.parse_pipeline()?;
        self.nested(|p| p.parse_if_with(condition))
    }

    /// The rest of an `{{if}}` whose condition is parsed. `{{else if c}}…{{end}}`
    /// is `{{else}}{{if c}}…{{end}}{{end}}` sharing one `{{end}}`.
    fn parse_if_with(&mut self, condition: Pipeline) -> Result<Node, String> {
        let (then, end) = self.parse_block()?;
        let otherwise = match end {
            BlockEnd::End => Vec::new(),
            BlockEnd::Else => {
                let (otherwise, end) = self.parse_block()?;
                match end {
                    BlockEnd::End => otherwise,
                    BlockEnd::Eof => return Err("missing {{end}} after {{else}}".into()),
                    _ => return Err("unexpected {{else}} after {{else}}".into()),
                }
            }
            BlockEnd::ElseIf(next) => vec![self.nested(|p| p.parse_if_with(next))?],
            BlockEnd::Eof => return Err("missing {{end}} for {{if}}".into()),
        };
        Ok(Node::If {
            condition,
            then,
            otherwise,
        })
    }

    fn expect_close(&mut self) -> Result<(), String> {
        match self.next() {
            Some(Token::Close) => Ok(()),
            other => Err(format!("expected }}}}, found {other:?}")),
        }
    }

    /// Parses commands up to the closing `}}`.
    fn parse_pipeline(&mut self) -> Result<Pipeline, String> {
        let pipeline = self.parse_commands(|t| matches!(t, Token::Close))?;
        self.expect_close()?;
        Ok(pipeline)
    }

    fn parse_commands(&mut self, is_end: impl Fn(&Token) -> bool) -> Result<Pipeline, String> {
        let mut commands = Vec::new();
        loop {
            let mut words = Vec::new();
            loop {
                match self.peek() {
                    None => return Err("unclosed action".into()),
                    Some(t) if is_end(t) || *t == Token::Pipe => break,
                    Some(_) => words.push(self.parse_word()?),
                }
            }
            if words.is_empty() {
                return Err("missing value in a pipeline".into());
            }
            commands.push(make_command(words, !commands.is_empty())?);
            if self.peek() == Some(&Token::Pipe) {
                self.pos += 1;
                continue;
            }
            return Ok(commands);
        }
    }

    fn parse_word(&mut self) -> Result<Word, String> {
        match self.next() {
            Some(Token::Field(path)) => Ok(Word::Operand(Operand::Field(path))),
            Some(Token::Dot) => Ok(Word::Operand(Operand::Field(Vec::new()))),
            Some(Token::Str(s)) => Ok(Word::Operand(Operand::Str(s))),
            Some(Token::Int(n)) => Ok(Word::Operand(Operand::Int(n))),
            Some(Token::LParen) => {
                let inner = self.nested(|p| p.parse_commands(|t| matches!(t, Token::RParen)))?;
                self.pos += 1;
                if let Some(Token::Chain(path)) = self.peek() {
                    let path = path.clone();
                    self.pos += 1;
                    return Ok(Word::Operand(Operand::Chain(inner, path)));
                }
                Ok(Word::Operand(Operand::Sub(inner)))
            }
            Some(Token::Ident(name)) => match name.as_str() {
                "true" => Ok(Word::Operand(Operand::Bool(true))),
                "false" => Ok(Word::Operand(Operand::Bool(false))),
                "nil" => Err("nil is not supported".into()),
                n if is_keyword(n) => Err(format!("{n:?} is not allowed here")),
                n => Func::from_name(n)
                    .map(Word::Func)
                    .ok_or_else(|| format!("function {n:?} not defined")),
            },
            other => Err(format!("unexpected {other:?} in a pipeline")),
        }
    }
}

enum Word {
    Func(Func),
    Operand(Operand),
}

fn make_command(words: Vec<Word>, piped: bool) -> Result<Command, String> {
    let mut words = words.into_iter();
    let first = words.next().ok_or("missing value in a pipeline")?;
    let mut args = Vec::new();
    for word in words {
        match word {
            Word::Operand(op) => args.push(op),
            Word::Func(_) => {
                return Err("a function used as an argument must be in parentheses".into());
            }
        }
    }
    match first {
        Word::Func(f) => Ok(Command::Call(f, args)),
        Word::Operand(_) if !args.is_empty() || piped => {
            Err("can't give arguments to a value that is not a function".into())
        }
        Word::Operand(op) => Ok(Command::Operand(op)),
    }
}

fn is_keyword(word: &str) -> bool {
    matches!(
        word,
        "if" | "else"
            | "end"
            | "range"
            | "with"
            | "define"
            | "template"
            | "block"
            | "break"
            | "continue"
            | "true"
            | "false"
            | "nil"
    )
}

// ---------------------------------------------------------------------------
// Execution

/// A value during execution. JSON objects are either Go structs (fields matched by
/// Go name) or Go maps (keys matched exactly).
#[derive(Clone, Debug)]
enum Val<'a> {
    Struct(&'a Map<String, Json>),
    Map(&'a Map<String, Json>),
    /// A map field the object does not carry (a nil map in Go).
    NilMap,
    List(&'a [Json]),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A field the object does not carry; prints as "".
    Missing,
    /// JSON null.
    Nil,
    /// A missing map key; prints as "<no value>".
    NoValue,
}

/// JSON fields that hold Go maps rather than structs.
fn is_map_field(key: &str) -> bool {
    matches!(
        key,
        "labels" | "annotations" | "selector" | "matchLabels" | "nodeSelector"
    )
}

fn from_json(value: &Json, map_field: bool) -> Val<'_> {
    match value {
        Json::Object(m) if map_field => Val::Map(m),
        Json::Object(m) => Val::Struct(m),
        Json::Array(items) => Val::List(items),
        Json::String(s) => Val::Str(s.clone()),
        Json::Bool(b) => Val::Bool(*b),
        Json::Null => Val::Nil,
        Json::Number(n) => match n.as_i64() {
            Some(i) => Val::Int(i),
            None => Val::Float(n.as_f64().unwrap_or(0.0)),
        },
    }
}

impl Val<'_> {
    fn truthy(&self) -> bool {
        match self {
            Val::Struct(_) => true,
            Val::Map(m) => !m.is_empty(),
            Val::List(items) => !items.is_empty(),
            Val::Str(s) => !s.is_empty(),
            Val::Int(n) => *n != 0,
            Val::Float(f) => *f != 0.0,
            Val::Bool(b) => *b,
            Val::NilMap | Val::Missing | Val::Nil | Val::NoValue => false,
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Val::Struct(_) => "struct",
            Val::Map(_) | Val::NilMap => "map",
            Val::List(_) => "slice",
            Val::Str(_) | Val::Missing => "string",
            Val::Int(_) => "int",
            Val::Float(_) => "float64",
            Val::Bool(_) => "bool",
            Val::Nil => "nil",
            Val::NoValue => "no value",
        }
    }

    fn print(&self, out: &mut String) {
        match self {
            Val::Str(s) => out.push_str(s),
            Val::Int(n) => out.push_str(&n.to_string()),
            Val::Float(f) => out.push_str(&f.to_string()),
            Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Val::Missing => {}
            Val::Nil => out.push_str("<nil>"),
            Val::NoValue => out.push_str("<no value>"),
            Val::NilMap => out.push_str("map[]"),
            Val::Struct(m) | Val::Map(m) => {
                out.push_str("map[");
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    from_json(v, false).print(out);
                }
                out.push(']');
            }
            Val::List(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    from_json(v, false).print(out);
                }
                out.push(']');
            }
        }
    }

    /// The value as a Go `string` argument.
    fn as_string(&self, func: &str) -> Result<String, String> {
        match self {
            Val::Str(s) => Ok(s.clone()),
            Val::Missing => Ok(String::new()),
            other => Err(format!(
                "wrong type for {func}: expected string, got {}",
                other.type_name()
            )),
        }
    }
}

struct Exec<'a> {
    root: &'a Map<String, Json>,
}

impl<'a> Exec<'a> {
    fn run(&self, nodes: &[Node], out: &mut String) -> Result<(), String> {
        for node in nodes {
            match node {
                Node::Text(text) => out.push_str(text),
                Node::Action(pipeline) => self.pipeline(pipeline)?.print(out),
                Node::If {
                    condition,
                    then,
                    otherwise,
                } => {
                    if self.pipeline(condition)?.truthy() {
                        self.run(then, out)?;
                    } else {
                        self.run(otherwise, out)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn pipeline(&self, pipeline: &[Command]) -> Result<Val<'a>, String> {
        let mut piped: Option<Val<'a>> = None;
        for command in pipeline {
            let value = match command {
                Command::Operand(op) => self.operand(op)?,
                Command::Call(func, args) => {
                    let mut values = args
                        .iter()
                        .map(|a| self.operand(a))
                        .collect::<Result<Vec<_>, _>>()?;
                    if let Some(p) = piped.take() {
                        values.push(p);
                    }
                    call(*func, values)?
                }
            };
            piped = Some(value);
        }
        piped.ok_or_else(|| "empty pipeline".to_string())
    }

    fn operand(&self, operand: &Operand) -> Result<Val<'a>, String> {
        match operand {
            Operand::Str(s) => Ok(Val::Str(s.clone())),
            Operand::Int(n) => Ok(Val::Int(*n)),
            Operand::Bool(b) => Ok(Val::Bool(*b)),
            Operand::Sub(pipeline) => self.pipeline(pipeline),
            Operand::Chain(pipeline, path) => {
                let mut value = self.pipeline(pipeline)?;
                for name in path {
                    value = field(value, name)?;
                }
                Ok(value)
            }
            Operand::Field(path) => {
                let mut value = Val::Struct(self.root);
                for (i, name) in path.iter().enumerate() {
                    value = if i == 0 {
                        self.root_field(name)
                    } else {
                        field(value, name)?
                    };
                }
                Ok(value)
            }
        }
    }

    /// A field of the object itself: `ObjectMeta` and `TypeMeta` fields are
    /// promoted, as Go's embedded structs are.
    fn root_field(&self, name: &str) -> Val<'a> {
        match name {
            "ObjectMeta" => {
                return match self.root.get("metadata") {
                    Some(Json::Object(m)) => Val::Struct(m),
                    _ => Val::Missing,
                };
            }
            "TypeMeta" => return Val::Struct(self.root),
            _ => {}
        }
        if let Some((key, value)) = struct_lookup(self.root, name) {
            return from_json(value, is_map_field(key));
        }
        if let Some(Json::Object(meta)) = self.root.get("metadata")
            && let Some((key, value)) = struct_lookup(meta, name)
        {
            return from_json(value, is_map_field(key));
        }
        missing_field(name)
    }
}

/// A struct field by Go name: exact JSON key, then the Go name with a lower-case
/// first letter (`ClusterIP` → `clusterIP`), then any key equal without case.
fn struct_lookup<'m>(map: &'m Map<String, Json>, name: &str) -> Option<(&'m str, &'m Json)> {
    if let Some((k, v)) = map.get_key_value(name) {
        return Some((k.as_str(), v));
    }
    let mut chars = name.chars();
    let camel: String = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => return None,
    };
    if let Some((k, v)) = map.get_key_value(&camel) {
        return Some((k.as_str(), v));
    }
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(k, v)| (k.as_str(), v))
}

/// The value of a struct field the object does not carry.
fn missing_field(name: &str) -> Val<'static> {
    let mut chars = name.chars();
    let camel: String = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    if is_map_field(&camel) {
        Val::NilMap
    } else {
        Val::Missing
    }
}

fn field<'a>(value: Val<'a>, name: &str) -> Result<Val<'a>, String> {
    match value {
        Val::Struct(m) => Ok(match struct_lookup(m, name) {
            Some((key, v)) => from_json(v, is_map_field(key)),
            None => missing_field(name),
        }),
        Val::Map(m) => Ok(m.get(name).map_or(Val::NoValue, |v| from_json(v, false))),
        Val::NilMap => Ok(Val::NoValue),
        Val::Missing | Val::Nil => Ok(Val::Missing),
        other => Err(format!(
            "can't evaluate field {name} in type {}",
            other.type_name()
        )),
    }
}

fn arity(func: &str, args: &[Val<'_>], want: usize) -> Result<(), String> {
    if args.len() == want {
        Ok(())
    } else {
        Err(format!(
            "wrong number of args for {func}: want {want} got {}",
            args.len()
        ))
    }
}

fn call<'a>(func: Func, args: Vec<Val<'a>>) -> Result<Val<'a>, String> {
    match func {
        Func::Index => index(args),
        Func::ToLower => {
            arity("toLower", &args, 1)?;
            Ok(Val::Str(args[0].as_string("toLower")?.to_lowercase()))
        }
        Func::Trim => {
            arity("trim", &args, 1)?;
            Ok(Val::Str(args[0].as_string("trim")?.trim().to_string()))
        }
        Func::TrimPrefix => {
            // strings.TrimPrefix(s, prefix): the piped value is the prefix.
            arity("trimPrefix", &args, 2)?;
            let s = args[0].as_string("trimPrefix")?;
            let prefix = args[1].as_string("trimPrefix")?;
            Ok(Val::Str(s.strip_prefix(&prefix).unwrap_or(&s).to_string()))
        }
        Func::TrimSuffix => {
            arity("trimSuffix", &args, 2)?;
            let s = args[0].as_string("trimSuffix")?;
            let suffix = args[1].as_string("trimSuffix")?;
            Ok(Val::Str(s.strip_suffix(&suffix).unwrap_or(&s).to_string()))
        }
        Func::Replace => {
            arity("replace", &args, 3)?;
            let old = args[0].as_string("replace")?;
            let new = args[1].as_string("replace")?;
            let target = args[2].as_string("replace")?;
            Ok(Val::Str(target.replace(&old, &new)))
        }
        Func::Contains => {
            arity("contains", &args, 2)?;
            let s = args[0].as_string("contains")?;
            let sub = args[1].as_string("contains")?;
            Ok(Val::Bool(s.contains(&sub)))
        }
        Func::HasKey => {
            arity("hasKey", &args, 2)?;
            let key = args[1].as_string("hasKey")?;
            match &args[0] {
                Val::Map(m) => Ok(Val::Bool(m.contains_key(&key))),
                Val::NilMap => Ok(Val::Bool(false)),
                other => Err(format!(
                    "wrong type for hasKey: expected map, got {}",
                    other.type_name()
                )),
            }
        }
        Func::IsIpv4 | Func::IsIpv6 => {
            let name = if func == Func::IsIpv4 {
                "isIPv4"
            } else {
                "isIPv6"
            };
            arity(name, &args, 1)?;
            let s = args[0].as_string(name)?;
            let ip = s.parse::<IpAddr>().ok();
            Ok(Val::Bool(match func {
                Func::IsIpv4 => matches!(ip, Some(IpAddr::V4(_))),
                _ => matches!(ip, Some(IpAddr::V6(_))),
            }))
        }
        Func::Not => {
            arity("not", &args, 1)?;
            Ok(Val::Bool(!args[0].truthy()))
        }
        Func::And | Func::Or => {
            let name = if func == Func::And { "and" } else { "or" };
            if args.is_empty() {
                return Err(format!("wrong number of args for {name}: want at least 1"));
            }
            let stop = |v: &Val<'_>| {
                if func == Func::And {
                    !v.truthy()
                } else {
                    v.truthy()
                }
            };
            let last = args.len() - 1;
            Ok(args
                .into_iter()
                .enumerate()
                .find(|(i, v)| *i == last || stop(v))
                .map(|(_, v)| v)
                .unwrap_or(Val::Missing))
        }
        Func::Eq => {
            if args.len() < 2 {
                return Err("wrong number of args for eq: want at least 2".into());
            }
            let first = scalar(&args[0])?;
            for other in &args[1..] {
                if compare(&first, &scalar(other)?)? {
                    return Ok(Val::Bool(true));
                }
            }
            Ok(Val::Bool(false))
        }
        Func::Ne => {
            arity("ne", &args, 2)?;
            Ok(Val::Bool(!compare(&scalar(&args[0])?, &scalar(&args[1])?)?))
        }
    }
}

#[derive(Debug, PartialEq)]
enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

fn scalar(value: &Val<'_>) -> Result<Scalar, String> {
    match value {
        Val::Str(s) => Ok(Scalar::Str(s.clone())),
        Val::Missing => Ok(Scalar::Str(String::new())),
        Val::Int(n) => Ok(Scalar::Int(*n)),
        Val::Float(f) => Ok(Scalar::Float(*f)),
        Val::Bool(b) => Ok(Scalar::Bool(*b)),
        other => Err(format!(
            "can't compare a value of type {}",
            other.type_name()
        )),
    }
}

fn compare(a: &Scalar, b: &Scalar) -> Result<bool, String> {
    match (a, b) {
        (Scalar::Str(x), Scalar::Str(y)) => Ok(x == y),
        (Scalar::Int(x), Scalar::Int(y)) => Ok(x == y),
        (Scalar::Float(x), Scalar::Float(y)) => Ok(x == y),
        (Scalar::Bool(x), Scalar::Bool(y)) => Ok(x == y),
        _ => Err("incompatible types for comparison".into()),
    }
}

fn index(mut args: Vec<Val<'_>>) -> Result<Val<'_>, String> {
    if args.is_empty() {
        return Err("wrong number of args for index: want at least 1 got 0".into());
    }
    let keys = args.split_off(1);
    let mut item = args.remove(0);
    for key in keys {
        item = match (item, key) {
            (Val::Map(m), key) => {
                let key = key.as_string("index")?;
                // Go's index yields the zero value for a missing key.
                m.get(&key)
                    .map_or(Val::Str(String::new()), |v| from_json(v, false))
            }
            (Val::Struct(_), _) => {
                return Err("can't index item of type struct".into());
            }
            (Val::NilMap | Val::Missing, key) => {
                key.as_string("index")?;
                Val::Missing
            }
            (Val::List(items), Val::Int(i)) => {
                let found = usize::try_from(i).ok().and_then(|i| items.get(i));
                match found {
                    Some(v) => from_json(v, false),
                    None => return Err(format!("index out of range: {i}")),
                }
            }
            (Val::List(_), other) => {
                return Err(format!(
                    "cannot index slice with type {}",
                    other.type_name()
                ));
            }
            (other, _) => {
                return Err(format!("can't index item of type {}", other.type_name()));
            }
        };
    }
    Ok(item)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object() -> Json {
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {
                "name": "Web",
                "namespace": "shop",
                "labels": {"team": "blue", "app.kubernetes.io/name": "web"},
                "annotations": {"dns/zone": "example.com", "marker": ""}
            },
            "spec": {
                "ingressClassName": "nginx",
                "rules": [{"host": "a.example.com"}, {"host": "b.example.com"}]
            },
            "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}
        })
    }

    fn render(template: &str) -> Result<String, TemplateError> {
        FqdnTemplate::parse(&[template])?
            .expect("template")
            .render(&object())
    }

    fn ok(template: &str) -> String {
        render(template).unwrap_or_else(|e| panic!("{template}: {e}"))
    }

    #[test]
    fn fields_follow_go_names() {
        assert_eq!(
            ok("{{.Name}}.{{.Namespace}}.example.com"),
            "Web.shop.example.com"
        );
        assert_eq!(ok("{{.ObjectMeta.Name}}"), "Web");
        assert_eq!(
            ok("{{.Kind}} {{.APIVersion}}"),
            "Ingress networking.k8s.io/v1"
        );
        assert_eq!(ok("{{.Labels.team}}"), "blue");
        assert_eq!(ok("{{.Spec.IngressClassName}}"), "nginx");
        assert_eq!(
            ok("{{.Spec.Rules}}"),
            "[map[host:a.example.com] map[host:b.example.com]]"
        );
        assert_eq!(
            ok("{{.Status.LoadBalancer.Ingress}}"),
            "[map[ip:192.0.2.1]]"
        );
        assert_eq!(ok("{{.Labels.missing}}"), "<no value>");
        assert_eq!(ok("[{{.Spec.DefaultBackend}}]"), "[]");
        assert_eq!(ok("[{{.Spec.DefaultBackend.Service.Name}}]"), "[]");
    }

    #[test]
    fn functions_match_externaldns() {
        assert_eq!(ok("{{ .Name | toLower }}.example.com"), "web.example.com");
        assert_eq!(ok(r#"{{ index .Labels "app.kubernetes.io/name" }}"#), "web");
        assert_eq!(ok(r#"{{ index .Annotations "dns/zone" }}"#), "example.com");
        assert_eq!(ok(r#"[{{ index .Annotations "nope" }}]"#), "[]");
        assert_eq!(ok(r#"{{ trimPrefix "web-x" "web-" }}"#), "x");
        assert_eq!(
            ok(r#"{{ trimSuffix "a.example.com" ".example.com" }}"#),
            "a"
        );
        assert_eq!(ok(r#"{{ trim "  x " }}"#), "x");
        assert_eq!(ok(r#"{{ replace "." "-" "a.b.c" }}"#), "a-b-c");
        assert_eq!(ok(r#"{{ "a.b" | replace "." "-" }}"#), "a-b");
        assert_eq!(ok(r#"{{ contains .Namespace "ho" }}"#), "true");
        assert_eq!(ok(r#"{{ hasKey .Annotations "marker" }}"#), "true");
        assert_eq!(ok(r#"{{ hasKey .Labels "marker" }}"#), "false");
        assert_eq!(
            ok(r#"{{ isIPv4 "192.0.2.1" }} {{ isIPv6 "::1" }} {{ isIPv4 "::1" }}"#),
            "true true false"
        );
        assert_eq!(
            ok(r#"{{ index .Spec.Rules 1 }}"#),
            "map[host:b.example.com]"
        );
        assert_eq!(
            ok(r#"{{ (index .Status.LoadBalancer.Ingress 0).IP }}"#),
            "192.0.2.1"
        );
        assert!(matches!(
            render(r#"{{ index .Status.LoadBalancer.Ingress 0 "ip" }}"#),
            Err(TemplateError::Exec(_))
        ));
    }

    #[test]
    fn conditionals_and_trimming() {
        let t = r#"{{- if eq .Namespace "shop" -}} shop {{- else if .Labels.team -}} team {{- else -}} other {{- end -}}.example.com"#;
        assert_eq!(ok(t), "shop.example.com");
        let t = r#"{{if eq .Namespace "x"}}x{{else if hasKey .Labels "team"}}{{.Labels.team}}{{else}}none{{end}}"#;
        assert_eq!(ok(t), "blue");
        let t = r#"{{if and (ne .Name "") (not .Labels.absent)}}yes{{end}}"#;
        assert_eq!(ok(t), "yes");
        assert_eq!(ok(r#"{{ or .Labels.nothing "fallback" }}"#), "fallback");
        assert_eq!(ok(r#"{{ and .Name .Namespace }}"#), "shop");
        assert_eq!(ok("a {{/* note */}} b"), "a  b");
        assert_eq!(ok("a {{- /* note */ -}} b"), "ab");
        assert_eq!(ok("{{ `raw\\n` }}"), "raw\\n");
        assert_eq!(ok(r#"{{ "tab\tq\"\u00e9" }}"#), "tab\tq\"é");
    }

    #[test]
    fn hostnames_are_split_like_externaldns() {
        let t = FqdnTemplate::parse(&["{{.Name}}.example.com., , {{.Namespace}}.example.org"])
            .unwrap()
            .unwrap();
        assert_eq!(
            t.hostnames(&object()).unwrap(),
            vec!["Web.example.com", "shop.example.org"]
        );
        let joined = FqdnTemplate::parse(&["{{.Name}}.a.com", "{{.Name}}.b.com"])
            .unwrap()
            .unwrap();
        assert_eq!(joined.as_str(), "{{.Name}}.a.com,{{.Name}}.b.com");
        assert_eq!(
            joined.hostnames(&object()).unwrap(),
            vec!["Web.a.com", "Web.b.com"]
        );
        assert_eq!(FqdnTemplate::parse::<&str>(&[]).unwrap(), None);
        assert_eq!(FqdnTemplate::parse(&["  "]).unwrap(), None);
    }

    #[test]
    fn unsupported_templates_are_parse_errors() {
        for bad in [
            "{{range .Spec.Rules}}{{.Host}}{{end}}",
            "{{with .Labels}}{{.team}}{{end}}",
            "{{$x := .Name}}",
            "{{ printf \"%s\" .Name }}",
            "{{ len .Name }}",
            "{{ .Name",
            "{{ \"open }}",
            "{{if .Name}}x",
            "{{end}}",
            "{{else}}",
            "{{ .Name .Namespace }}",
            "{{ .Name | .Namespace }}",
            "{{ toLower toLower }}",
            "{{ 1.5 }}",
            "{{ (.Name) .x }}",
            "{{ template \"x\" }}",
            "{{ }}",
            "{{ 'a' }}",
            "{{/* open }}",
            "{{ .Name | }}",
        ] {
            assert!(
                matches!(
                    FqdnTemplate::parse(&[bad]),
                    Err(TemplateError::Parse { .. })
                ),
                "{bad:?} should not parse"
            );
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let parens = format!("{{{{ {}.Name{} }}}}", "(".repeat(200), ")".repeat(200));
        let ifs = format!("{}x{}", "{{if .Name}}".repeat(200), "{{end}}".repeat(200));
        for deep in [parens, ifs] {
            let err = FqdnTemplate::parse(&[deep.as_str()]).unwrap_err();
            assert!(
                err.to_string().contains("nests more than 64 levels"),
                "{err}"
            );
        }
        let shallow = format!("{}x{}", "{{if .Name}}".repeat(10), "{{end}}".repeat(10));
        assert_eq!(ok(&shallow), "x");
        assert_eq!(ok("{{ ((((.Name)))) }}"), "Web");
    }

    #[test]
    fn runtime_errors_are_reported() {
        for bad in [
            "{{ toLower .Spec.Rules }}",
            "{{ index .Spec.Rules 9 }}",
            "{{ index .Spec \"x\" }}",
            "{{ eq .Name 1 }}",
            "{{ .Name.First }}",
            "{{ hasKey .Name \"x\" }}",
            "{{ toLower }}",
            "{{ replace \"a\" \"b\" }}",
        ] {
            assert!(
                matches!(render(bad), Err(TemplateError::Exec(_))),
                "{bad:?} should fail when run"
            );
        }
    }
}
