//! A message for a person, held as a catalogue key and the values it names, so that the
//! web layer can write it in the page's language. Written as text it is English: logs,
//! tests and the command line read it so. A text that is no key of the catalogue reads as
//! itself (what `From<String>` makes: a message not yet in the catalogue).

use std::borrow::Cow;
use std::fmt;

use crate::i18n::{Lang, Tr};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub key: Cow<'static, str>,
    pub args: Vec<(&'static str, String)>,
}

impl Message {
    pub fn new(key: &'static str) -> Message {
        Message {
            key: Cow::Borrowed(key),
            args: Vec::new(),
        }
    }

    /// The message with `{name}` standing for `value`.
    pub fn with(mut self, name: &'static str, value: impl fmt::Display) -> Message {
        self.args.push((name, value.to_string()));
        self
    }

    /// The message in a language.
    pub fn in_language(&self, tr: Tr) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(n, v)| (*n, v.as_str())).collect();
        tr.fill(&self.key, &args)
    }
}

impl From<String> for Message {
    fn from(text: String) -> Message {
        Message {
            key: Cow::Owned(text),
            args: Vec::new(),
        }
    }
}

impl From<&'static str> for Message {
    fn from(key: &'static str) -> Message {
        Message::new(key)
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.in_language(Tr::new(Lang::En)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_written_in_each_language_with_its_values() {
        let message = Message::new("answer.range").with("min", 0).with("max", 500);
        assert_eq!(message.to_string(), "Enter a number from 0 to 500.");
        assert_eq!(
            message.in_language(Tr::new(Lang::Fr)),
            "Saisissez un nombre de 0 à 500."
        );
    }
}
