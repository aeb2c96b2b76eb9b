//! FHIRPath tokens: the whole lexical grammar, so that the parser can tell syntax errors
//! apart from valid syntax that this evaluator does not support.

use super::FhirPathError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    /// A plain identifier, a keyword (`and`, `is`, `true`) included.
    Ident(String),
    /// A `` `delimited` `` identifier, never a keyword.
    Delimited(String),
    Str(String),
    /// An integer or decimal literal, as written.
    Number(String),
    /// `@2020-01-01`, `@T12:00`: a date or time literal, as written after `@`.
    DateTime(String),
    /// `$this`, `$index`, `$total`.
    Variable(String),
    /// `%resource`, `` %`ext` ``, `%'x'`: an environment variable.
    External(String),
    Symbol(&'static str),
}

const SYMBOLS: [&str; 22] = [
    "<=", ">=", "!=", "!~", "(", ")", "[", "]", "{", "}", ".", ",", "+", "-", "*", "/", "&", "|",
    "=", "~", "<", ">",
];

pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, FhirPathError> {
    let mut lexer = Lexer { chars: text.chars().collect(), pos: 0, tokens: Vec::new() };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    tokens: Vec<Token>,
}

impl Lexer {
    fn run(&mut self) -> Result<(), FhirPathError> {
        while let Some(c) = self.peek(0) {
            match c {
                c if c.is_whitespace() => self.pos += 1,
                '/' if self.peek(1) == Some('/') => self.skip_line_comment(),
                '/' if self.peek(1) == Some('*') => self.skip_block_comment()?,
                '\'' => self.string('\'').map(|s| self.tokens.push(Token::Str(s)))?,
                '`' => self.string('`').map(|s| self.tokens.push(Token::Delimited(s)))?,
                '@' => self.date_time(),
                '$' => self.prefixed(Token::Variable)?,
                '%' => self.external()?,
                c if c.is_ascii_digit() => self.number(),
                c if c.is_alphabetic() || c == '_' => self.ident(),
                _ => self.symbol()?,
            }
        }
        Ok(())
    }

    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn skip_line_comment(&mut self) {
        while self.peek(0).is_some_and(|c| c != '\n') {
            self.pos += 1;
        }
    }

    fn skip_block_comment(&mut self) -> Result<(), FhirPathError> {
        self.pos += 2;
        while self.pos + 1 < self.chars.len() {
            if self.peek(0) == Some('*') && self.peek(1) == Some('/') {
                self.pos += 2;
                return Ok(());
            }
            self.pos += 1;
        }
        Err(FhirPathError::Syntax("unterminated comment".into()))
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let start = self.pos;
        while self.peek(0).is_some_and(&keep) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn ident(&mut self) {
        let word = self.take_while(|c| c.is_alphanumeric() || c == '_');
        self.tokens.push(Token::Ident(word));
    }

    /// Digits, then a fraction only when a digit follows the dot (`1.is(...)` is a call).
    fn number(&mut self) {
        let mut text = self.take_while(|c| c.is_ascii_digit());
        if self.peek(0) == Some('.') && self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            text.push('.');
            text.push_str(&self.take_while(|c| c.is_ascii_digit()));
        }
        self.tokens.push(Token::Number(text));
    }

    /// `@` then a date, `T` and a time, and a zone; a dot belongs to it only before digits.
    fn date_time(&mut self) {
        self.pos += 1;
        let mut text = self.take_while(|c| c.is_ascii_digit() || c == '-');
        if self.peek(0) == Some('T') {
            self.pos += 1;
            text.push('T');
            text.push_str(&self.take_while(|c| c.is_ascii_digit() || c == ':'));
            if self.peek(0) == Some('.') && self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
                text.push('.');
                text.push_str(&self.take_while(|c| c.is_ascii_digit()));
            }
            self.zone(&mut text);
        }
        self.tokens.push(Token::DateTime(text));
    }

    fn zone(&mut self, text: &mut String) {
        match self.peek(0) {
            Some('Z') => {
                self.pos += 1;
                text.push('Z');
            }
            Some(sign @ ('+' | '-')) if self.peek(1).is_some_and(|c| c.is_ascii_digit()) => {
                self.pos += 1;
                text.push(sign);
                text.push_str(&self.take_while(|c| c.is_ascii_digit() || c == ':'));
            }
            _ => {}
        }
    }

    fn prefixed(&mut self, make: impl Fn(String) -> Token) -> Result<(), FhirPathError> {
        self.pos += 1;
        let name = self.take_while(|c| c.is_alphanumeric() || c == '_');
        if name.is_empty() {
            return Err(FhirPathError::Syntax("a name must follow `$`".into()));
        }
        self.tokens.push(make(name));
        Ok(())
    }

    fn external(&mut self) -> Result<(), FhirPathError> {
        match self.peek(1) {
            Some('`') | Some('\'') => {
                self.pos += 1;
                let quote = self.peek(0).unwrap_or('`');
                let name = self.string(quote)?;
                self.tokens.push(Token::External(name));
                Ok(())
            }
            _ => self.prefixed(Token::External),
        }
    }

    fn symbol(&mut self) -> Result<(), FhirPathError> {
        for symbol in SYMBOLS {
            let matches = symbol.chars().enumerate().all(|(i, c)| self.peek(i) == Some(c));
            if matches {
                self.pos += symbol.len();
                self.tokens.push(Token::Symbol(symbol));
                return Ok(());
            }
        }
        Err(FhirPathError::Syntax("unexpected character".into()))
    }

    /// A quoted string or delimited identifier, with FHIRPath's escapes resolved.
    fn string(&mut self, quote: char) -> Result<String, FhirPathError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek(0) {
                None => return Err(FhirPathError::Syntax("unterminated string".into())),
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    out.push(self.escape()?);
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn escape(&mut self) -> Result<char, FhirPathError> {
        let code = self.peek(1).ok_or_else(|| FhirPathError::Syntax("bad escape".into()))?;
        self.pos += 2;
        Ok(match code {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'f' => '\u{c}',
            'u' => self.unicode_escape()?,
            other => other,
        })
    }

    fn unicode_escape(&mut self) -> Result<char, FhirPathError> {
        let hex: String = self.chars.iter().skip(self.pos).take(4).collect();
        let code = u32::from_str_radix(&hex, 16).ok().filter(|_| hex.len() == 4);
        self.pos += 4;
        code.and_then(char::from_u32).ok_or_else(|| FhirPathError::Syntax("bad \\u escape".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_with_a_call_and_a_string_splits_into_its_tokens() {
        let tokens = tokenize("Patient.telecom.where(system='email')").expect("lexes");
        assert_eq!(tokens.len(), 10);
        assert_eq!(tokens[6], Token::Ident("system".into()));
        assert_eq!(tokens[8], Token::Str("email".into()));
    }

    #[test]
    fn an_integer_followed_by_a_call_is_not_a_decimal() {
        let tokens = tokenize("1.is(Integer)").expect("lexes");
        assert_eq!(tokens[0], Token::Number("1".into()));
        assert_eq!(tokens[1], Token::Symbol("."));
    }

    #[test]
    fn unicode_escapes_and_comments_are_resolved() {
        let tokens = tokenize("'P\\u0065ter' // note").expect("lexes");
        assert_eq!(tokens, vec![Token::Str("Peter".into())]);
    }

    #[test]
    fn a_date_time_literal_stops_before_a_call() {
        let tokens = tokenize("@2015-02-04T14:34:28.123Z.is(DateTime)").expect("lexes");
        assert_eq!(tokens[0], Token::DateTime("2015-02-04T14:34:28.123Z".into()));
        assert_eq!(tokens[1], Token::Symbol("."));
        let tokens = tokenize("@2015-02-04.is(Date)").expect("lexes");
        assert_eq!(tokens[0], Token::DateTime("2015-02-04".into()));
    }

    #[test]
    fn an_unterminated_block_comment_is_a_syntax_error() {
        assert!(matches!(tokenize("2 + 2 /* open"), Err(FhirPathError::Syntax(_))));
    }
}
