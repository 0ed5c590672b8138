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
    /// The names among `args` whose values are catalogue keys themselves (a status, an
    /// action), written in the same language as the message.
    pub words: Vec<&'static str>,
    /// Messages within this one (a reason after a reference), in the same language.
    pub inner: Vec<(&'static str, Message)>,
}

impl Message {
    pub fn new(key: &'static str) -> Message {
        Message {
            key: Cow::Borrowed(key),
            args: Vec::new(),
            words: Vec::new(),
            inner: Vec::new(),
        }
    }

    /// The message with `{name}` standing for another message.
    pub fn with_message(mut self, name: &'static str, message: Message) -> Message {
        self.inner.push((name, message));
        self
    }

    /// The message with `{name}` standing for the text of catalogue key `key`.
    pub fn with_word(mut self, name: &'static str, key: impl Into<String>) -> Message {
        self.args.push((name, key.into()));
        self.words.push(name);
        self
    }

    /// The message with `{name}` standing for `value`.
    pub fn with(mut self, name: &'static str, value: impl fmt::Display) -> Message {
        self.args.push((name, value.to_string()));
        self
    }

    /// The message in a language.
    pub fn in_language(&self, tr: Tr) -> String {
        let inner: Vec<(&str, String)> = self
            .inner
            .iter()
            .map(|(n, m)| (*n, m.in_language(tr)))
            .collect();
        let args: Vec<(&str, &str)> = self
            .args
            .iter()
            .map(|(n, v)| {
                let value = if self.words.contains(n) {
                    tr.t(v)
                } else {
                    v.as_str()
                };
                (*n, value)
            })
            .chain(inner.iter().map(|(n, v)| (*n, v.as_str())))
            .collect();
        tr.fill(&self.key, &args)
    }
}

impl From<String> for Message {
    fn from(text: String) -> Message {
        Message {
            key: Cow::Owned(text),
            args: Vec::new(),
            words: Vec::new(),
            inner: Vec::new(),
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
