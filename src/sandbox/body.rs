//! Reading a request body into the sandbox's wire types, leniently (unknown
//! fields ignored, as the live API ignores them) or strictly (any field the
//! schema does not define, at any depth, refused), so that tests catch a client
//! that misnames a field instead of learning it from a record that flaps in
//! production.

use serde::de::DeserializeOwned;

use super::error::FailedCall;

/// How request bodies are read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BodyReading {
    /// Unknown fields are ignored, as the live API does.
    #[default]
    Lenient,
    /// Unknown fields are refused with 9207.
    Strict,
}

/// Reads a JSON body. A body that is not the JSON the endpoint expects (or, read
/// strictly, that holds a field the type does not define) is refused with 9207;
/// where it went wrong is logged, since the live API only says that the body is
/// invalid.
pub fn read<T: DeserializeOwned>(body: &[u8], reading: BodyReading) -> Result<T, FailedCall> {
    let mut unknown: Vec<String> = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed: T = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(
        &mut de,
        &mut |path: serde_ignored::Path<'_>| unknown.push(path.to_string()),
    ))
    .map_err(|e| {
        tracing::debug!(at = %e.path(), error = %e.inner(), "invalid request body");
        FailedCall::body_invalid()
    })?;
    de.end().map_err(|e| {
        tracing::debug!(error = %e, "trailing characters after the request body");
        FailedCall::body_invalid()
    })?;
    if reading == BodyReading::Strict && !unknown.is_empty() {
        tracing::debug!(fields = ?unknown, "request body with fields the API does not define");
        return Err(FailedCall::body_invalid());
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::error::code;
    use crate::sandbox::wire::{BatchInput, RecordEdit, RecordInput};

    fn strict_and_lenient<T: DeserializeOwned>(
        body: &str,
    ) -> (Result<T, FailedCall>, Result<T, FailedCall>) {
        (
            read::<T>(body.as_bytes(), BodyReading::Strict),
            read::<T>(body.as_bytes(), BodyReading::Lenient),
        )
    }

    #[test]
    fn unknown_fields_are_refused_only_when_strict() {
        let bodies = [
            r#"{"name":"www","type":"A","content":"192.0.2.1","proxed":true}"#,
            r#"{"name":"www","type":"A","content":"192.0.2.1","ttl_s":300}"#,
            r#"{"name":"www","type":"A","content":"192.0.2.1","settings":{"ipv4only":true}}"#,
            r#"{"name":"_sip._tcp","type":"SRV","content":"x","data":{"prot":"_tcp"}}"#,
            r#"{"id":"0123456789abcdef0123456789abcdef","name":"www","type":"A","content":"192.0.2.1"}"#,
        ];
        for body in bodies {
            let (strict, lenient) = strict_and_lenient::<RecordInput>(body);
            assert_eq!(
                strict.unwrap_err().errors[0].code,
                code::BODY_INVALID,
                "{body}"
            );
            assert!(lenient.is_ok(), "{body}");
        }
        let (strict, lenient) = strict_and_lenient::<RecordEdit>(r#"{"comentt":"x"}"#);
        assert!(strict.is_err());
        assert_eq!(lenient.unwrap(), RecordEdit::default());
    }

    #[test]
    fn every_list_of_a_batch_is_read_strictly() {
        let id = "0123456789abcdef0123456789abcdef";
        let bodies = [
            format!(r#"{{"deletes":[{{"id":"{id}","name":"x"}}]}}"#),
            format!(r#"{{"patches":[{{"id":"{id}","proxed":true}}]}}"#),
            format!(r#"{{"puts":[{{"id":"{id}","name":"a","type":"A","content":"192.0.2.1","ttl_s":1}}]}}"#),
            r#"{"posts":[{"name":"a","type":"A","content":"192.0.2.1","settings":{"ipv4only":true}}]}"#.to_string(),
            r#"{"post":[]}"#.to_string(),
        ];
        for body in &bodies {
            let (strict, lenient) = strict_and_lenient::<BatchInput>(body);
            assert!(strict.is_err(), "{body}");
            assert!(lenient.is_ok(), "{body}");
        }
        let known = format!(
            r#"{{"deletes":[{{"id":"{id}"}}],"patches":[{{"id":"{id}","settings":{{"ipv4_only":true}}}}],
                "puts":[{{"id":"{id}","name":"a","type":"CNAME","content":"b","settings":{{"flatten_cname":true}}}}],
                "posts":[{{"name":"a","type":"A","content":"192.0.2.1","private_routing":true}}]}}"#
        );
        let batch: BatchInput = read(known.as_bytes(), BodyReading::Strict).unwrap();
        assert_eq!(batch.len(), 4);
    }

    #[test]
    fn malformed_bodies_are_refused_either_way() {
        for body in [
            "",
            "{",
            r#"{"name":"a"}"#,
            r#"{"name":"a","type":"A","content":"x"} x"#,
        ] {
            let (strict, lenient) = strict_and_lenient::<RecordInput>(body);
            assert!(strict.is_err() && lenient.is_err(), "{body}");
        }
    }
}
