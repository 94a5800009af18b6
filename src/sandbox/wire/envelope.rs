//! The envelope around every answer, its `errors` and `messages`, a list's
//! `result_info`, and the token-verify result.

use serde::Serialize;

/// The envelope around every answer, success or failure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResponseEnvelope<T> {
    pub success: bool,
    pub errors: Vec<ResponseMessage>,
    pub messages: Vec<ResponseMessage>,
    /// The object or list on success; `null` on failure.
    pub result: Option<T>,
    /// Paging information, on list endpoints only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_info: Option<PageInfo>,
}

impl<T> ResponseEnvelope<T> {
    /// A success carrying `result`.
    pub fn ok(result: T) -> Self {
        ResponseEnvelope {
            success: true,
            errors: Vec::new(),
            messages: Vec::new(),
            result: Some(result),
            result_info: None,
        }
    }

    /// A successful page of a list endpoint.
    pub fn page(result: T, info: PageInfo) -> Self {
        ResponseEnvelope {
            result_info: Some(info),
            ..ResponseEnvelope::ok(result)
        }
    }

    /// A failure: `success: false`, the errors, and `result: null`.
    pub fn failure(errors: Vec<ResponseMessage>) -> Self {
        ResponseEnvelope {
            success: false,
            errors,
            messages: Vec::new(),
            result: None,
            result_info: None,
        }
    }
}

/// One entry of `errors` or `messages`: a code (at least 1000, except the rate
/// limit's 971) and a message, with the causes of a wrapper error such as 1004
/// or 6003 in `error_chain`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResponseMessage {
    pub code: u32,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub error_chain: Vec<ResponseMessage>,
}

impl ResponseMessage {
    /// A message without causes.
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        ResponseMessage {
            code,
            message: message.into(),
            error_chain: Vec::new(),
        }
    }

    /// A wrapper message with its causes.
    pub fn with_chain(code: u32, message: impl Into<String>, chain: Vec<ResponseMessage>) -> Self {
        ResponseMessage {
            error_chain: chain,
            ..ResponseMessage::new(code, message)
        }
    }

    /// Whether this message or one of its causes carries `code`.
    pub fn has_code(&self, code: u32) -> bool {
        self.code == code || self.error_chain.iter().any(|c| c.has_code(code))
    }
}

impl std::fmt::Display for ResponseMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)?;
        for cause in &self.error_chain {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

/// `result_info` of a list answer. The published schema lists the first four
/// keys; the live API also sends `total_pages`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PageInfo {
    pub page: u64,
    pub per_page: u64,
    /// Items on this page.
    pub count: u64,
    /// Items matching the filters, on all pages.
    pub total_count: u64,
    pub total_pages: u64,
}

impl PageInfo {
    /// Page `page` of `per_page` items, holding `count` of `total_count`.
    pub fn new(page: u64, per_page: u64, count: u64, total_count: u64) -> Self {
        PageInfo {
            page,
            per_page,
            count,
            total_count,
            total_pages: if per_page == 0 {
                0
            } else {
                total_count.div_ceil(per_page)
            },
        }
    }
}

/// The result of `GET /user/tokens/verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenObject {
    /// The token's public id, never its value.
    pub id: String,
    /// `active`, `disabled` or `expired`.
    pub status: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_count_their_total() {
        assert_eq!(PageInfo::new(3, 5000, 2345, 12_345).total_pages, 3);
        assert_eq!(PageInfo::new(1, 0, 0, 7).total_pages, 0);
    }
}
