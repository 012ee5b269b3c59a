//! Enumerations stored and exchanged as text (`pending`, `chef-de-file`, `disabled`): one
//! table of names gives `as_str`, `parse`, `Display` and the `TryFrom<String>` that storage
//! rows are decoded with.

/// A text that names none of an enumeration's values (read from storage or from a peer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected {what} {value:?}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

/// Implements `as_str`, `parse`, `Display` and `TryFrom<String>` for a field-less enum from
/// the text of each variant: `text_enum!(ChangeOp { Created => "created", … })`.
#[macro_export]
macro_rules! text_enum {
    ($type:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $type {
            /// The name stored and exchanged.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $text,)+
                }
            }

            /// The value named `text`, if any.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($type::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $type {
            type Error = $crate::UnknownValue;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value).ok_or($crate::UnknownValue { what: stringify!($type), value })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::base::{ChangeOp, ObjectKind};

    #[test]
    fn names_round_trip() {
        for op in [ChangeOp::Created, ChangeOp::Updated, ChangeOp::Disabled] {
            assert_eq!(ChangeOp::parse(op.as_str()), Some(op));
            assert_eq!(ChangeOp::try_from(op.to_string()), Ok(op));
        }
        assert_eq!(ObjectKind::parse("address"), Some(ObjectKind::Address));
        let unknown = ObjectKind::try_from("street".to_owned()).expect_err("not a kind");
        assert_eq!(unknown.to_string(), "unexpected ObjectKind \"street\"");
    }
}
