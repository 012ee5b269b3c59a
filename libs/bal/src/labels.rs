//! French labels of issue codes (placeholder until the full table lands).
use std::borrow::Cow;
pub fn label(code: &str) -> Cow<'static, str> {
    Cow::Owned(code.to_owned())
}
