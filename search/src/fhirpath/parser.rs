//! FHIRPath syntax tree and a precedence-climbing parser for the full FHIRPath grammar;
//! `supported` then tells which trees the evaluator can run.

use super::FhirPathError;
use super::lexer::{Token, tokenize};

/// A parsed FHIRPath expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Literal),
    /// A name that starts a path: a type filter on the focus (`Patient`) or a child of it.
    Identifier(String),
    /// `target.name`
    Member(Box<Expr>, String),
    /// `target.name(args)`, or `name(args)` on the focus when `target` is `None`.
    Call {
        target: Option<Box<Expr>>,
        name: String,
        args: Vec<Expr>,
    },
    /// `target.is(T)`, `target.as(T)`, `target.ofType(T)`, `target is T`, `target as T`.
    TypeTest {
        target: Option<Box<Expr>>,
        op: TypeOp,
        spec: TypeSpec,
    },
    /// `target[index]`
    Index(Box<Expr>, Box<Expr>),
    /// `-x` or `+x`
    Unary(&'static str, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `$this`, `$index`, `$total`
    Variable(String),
    /// `%resource` and other environment variables
    External(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `{}`
    Empty,
    Boolean(bool),
    String(String),
    /// An integer or decimal, as written.
    Number(String),
    /// A date, dateTime or time, as written after `@`.
    DateTime(String),
    /// A number and its unit: `4 'g'`, `7 days`.
    Quantity(String, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeOp {
    /// `is`: a boolean for a single item.
    Is,
    /// `as` operator or function: the item when it is of the type.
    As,
    /// `ofType()`: the items of the type.
    OfType,
}

/// A type name, optionally qualified: `Quantity`, `FHIR.boolean`, `System.Integer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeSpec {
    pub namespace: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Mul,
    Div,
    IntDiv,
    Mod,
    Add,
    Sub,
    Concat,
    Union,
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
    Equiv,
    NotEquiv,
    In,
    Contains,
    And,
    Or,
    Xor,
    Implies,
}

const CALENDAR_UNITS: [&str; 16] = [
    "year",
    "years",
    "month",
    "months",
    "week",
    "weeks",
    "day",
    "days",
    "hour",
    "hours",
    "minute",
    "minutes",
    "second",
    "seconds",
    "millisecond",
    "milliseconds",
];

/// Parses the full FHIRPath grammar.
pub(crate) fn parse_any(text: &str) -> Result<Expr, FhirPathError> {
    let mut parser = Parser { tokens: tokenize(text)?, pos: 0 };
    let expr = parser.expression(0)?;
    match parser.peek() {
        None => Ok(expr),
        Some(_) => Err(FhirPathError::Syntax("unexpected token after the expression".into())),
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

/// Infix operators with their binding power: higher binds tighter.
fn infix(token: &Token) -> Option<(u8, Infix)> {
    use BinaryOp::*;
    let op = match token {
        Token::Symbol(s) => match *s {
            "*" => (10, Mul),
            "/" => (10, Div),
            "+" => (9, Add),
            "-" => (9, Sub),
            "&" => (9, Concat),
            "|" => (7, Union),
            "<" => (6, Lt),
            ">" => (6, Gt),
            "<=" => (6, Le),
            ">=" => (6, Ge),
            "=" => (5, Eq),
            "!=" => (5, Ne),
            "~" => (5, Equiv),
            "!~" => (5, NotEquiv),
            _ => return None,
        },
        Token::Ident(word) => match word.as_str() {
            "div" => (10, IntDiv),
            "mod" => (10, Mod),
            "is" => return Some((8, Infix::Type(TypeOp::Is))),
            "as" => return Some((8, Infix::Type(TypeOp::As))),
            "in" => (4, In),
            "contains" => (4, Contains),
            "and" => (3, And),
            "or" => (2, Or),
            "xor" => (2, Xor),
            "implies" => (1, Implies),
            _ => return None,
        },
        _ => return None,
    };
    Some((op.0, Infix::Binary(op.1)))
}

enum Infix {
    Binary(BinaryOp),
    Type(TypeOp),
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn eat(&mut self, symbol: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, symbol: &str) -> Result<(), FhirPathError> {
        match self.eat(symbol) {
            true => Ok(()),
            false => Err(FhirPathError::Syntax(format!("expected `{symbol}`"))),
        }
    }

    fn expression(&mut self, min_power: u8) -> Result<Expr, FhirPathError> {
        let mut left = self.prefix()?;
        while let Some((power, op)) = self.peek().and_then(infix) {
            if power < min_power {
                break;
            }
            self.pos += 1;
            left = match op {
                Infix::Type(op) => {
                    let spec = self.type_spec()?;
                    Expr::TypeTest { target: Some(Box::new(left)), op, spec }
                }
                Infix::Binary(op) => {
                    let right = self.expression(power + 1)?;
                    Expr::Binary(op, Box::new(left), Box::new(right))
                }
            };
        }
        Ok(left)
    }

    fn prefix(&mut self) -> Result<Expr, FhirPathError> {
        for sign in ["-", "+"] {
            if self.eat(sign) {
                return Ok(Expr::Unary(sign, Box::new(self.prefix()?)));
            }
        }
        let term = self.term()?;
        self.postfix(term)
    }

    fn postfix(&mut self, mut expr: Expr) -> Result<Expr, FhirPathError> {
        loop {
            if self.eat(".") {
                let name = self.name()?;
                expr = self.invocation(Some(expr), name)?;
            } else if self.eat("[") {
                let index = self.expression(0)?;
                self.expect("]")?;
                expr = Expr::Index(Box::new(expr), Box::new(index));
            } else {
                return Ok(expr);
            }
        }
    }

    fn name(&mut self) -> Result<String, FhirPathError> {
        match self.next() {
            Some(Token::Ident(name)) | Some(Token::Delimited(name)) => Ok(name),
            _ => Err(FhirPathError::Syntax("expected a name".into())),
        }
    }

    /// A member access, or a call when `(` follows the name.
    fn invocation(&mut self, target: Option<Expr>, name: String) -> Result<Expr, FhirPathError> {
        if !self.eat("(") {
            return Ok(match target {
                Some(target) => Expr::Member(Box::new(target), name),
                None => Expr::Identifier(name),
            });
        }
        let args = self.arguments()?;
        let target = target.map(Box::new);
        let op = match name.as_str() {
            "is" => TypeOp::Is,
            "as" => TypeOp::As,
            "ofType" => TypeOp::OfType,
            _ => return Ok(Expr::Call { target, name, args }),
        };
        let spec = match args.as_slice() {
            [arg] => spec_of(arg)?,
            _ => return Err(FhirPathError::Syntax(format!("{name}() takes one type"))),
        };
        Ok(Expr::TypeTest { target, op, spec })
    }

    fn arguments(&mut self) -> Result<Vec<Expr>, FhirPathError> {
        let mut args = Vec::new();
        if self.eat(")") {
            return Ok(args);
        }
        loop {
            args.push(self.expression(0)?);
            if self.eat(")") {
                return Ok(args);
            }
            self.expect(",")?;
        }
    }

    fn term(&mut self) -> Result<Expr, FhirPathError> {
        match self.next() {
            Some(Token::Number(number)) => Ok(self.number(number)),
            Some(Token::Str(text)) => Ok(Expr::Literal(Literal::String(text))),
            Some(Token::DateTime(text)) => Ok(Expr::Literal(Literal::DateTime(text))),
            Some(Token::Variable(name)) => Ok(Expr::Variable(name)),
            Some(Token::External(name)) => Ok(Expr::External(name)),
            Some(Token::Ident(word)) if word == "true" || word == "false" => {
                Ok(Expr::Literal(Literal::Boolean(word == "true")))
            }
            Some(Token::Ident(name)) | Some(Token::Delimited(name)) => self.invocation(None, name),
            Some(Token::Symbol("(")) => {
                let inner = self.expression(0)?;
                self.expect(")")?;
                Ok(inner)
            }
            Some(Token::Symbol("{")) => {
                self.expect("}")?;
                Ok(Expr::Literal(Literal::Empty))
            }
            _ => Err(FhirPathError::Syntax("expected a term".into())),
        }
    }

    /// A number, or a quantity when a unit string or calendar unit follows it.
    fn number(&mut self, number: String) -> Expr {
        let unit = match self.peek() {
            Some(Token::Str(unit)) => Some(unit.clone()),
            Some(Token::Ident(word)) if CALENDAR_UNITS.contains(&word.as_str()) => {
                Some(word.clone())
            }
            _ => None,
        };
        match unit {
            Some(unit) => {
                self.pos += 1;
                Expr::Literal(Literal::Quantity(number, unit))
            }
            None => Expr::Literal(Literal::Number(number)),
        }
    }

    fn type_spec(&mut self) -> Result<TypeSpec, FhirPathError> {
        let first = self.name()?;
        if !self.eat(".") {
            return Ok(TypeSpec { namespace: None, name: first });
        }
        Ok(TypeSpec { namespace: Some(first), name: self.name()? })
    }
}

/// The type argument of `is()`, `as()`, `ofType()`, parsed as an expression first.
fn spec_of(arg: &Expr) -> Result<TypeSpec, FhirPathError> {
    match arg {
        Expr::Identifier(name) => Ok(TypeSpec { namespace: None, name: name.clone() }),
        Expr::Member(target, name) => match target.as_ref() {
            Expr::Identifier(namespace) => {
                Ok(TypeSpec { namespace: Some(namespace.clone()), name: name.clone() })
            }
            _ => Err(FhirPathError::Syntax("expected a type name".into())),
        },
        _ => Err(FhirPathError::Syntax("expected a type name".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(name: &str) -> Box<Expr> {
        Box::new(Expr::Identifier(name.into()))
    }

    #[test]
    fn union_binds_tighter_than_equality() {
        let expr = parse_any("a = 'x' | 'y'").expect("parses");
        let Expr::Binary(BinaryOp::Eq, _, right) = expr else { panic!("not an equality") };
        assert!(matches!(*right, Expr::Binary(BinaryOp::Union, _, _)));
    }

    #[test]
    fn as_operator_in_parentheses_applies_to_the_whole_path() {
        let expr = parse_any("(Observation.value as Quantity).unit").expect("parses");
        let Expr::Member(inner, unit) = expr else { panic!("not a member") };
        assert_eq!(unit, "unit");
        let spec = TypeSpec { namespace: None, name: "Quantity".into() };
        let target = Some(Box::new(Expr::Member(ident("Observation"), "value".into())));
        assert_eq!(*inner, Expr::TypeTest { target, op: TypeOp::As, spec });
    }

    #[test]
    fn is_function_takes_a_qualified_type() {
        let expr = parse_any("active.is(FHIR.boolean)").expect("parses");
        let spec = TypeSpec { namespace: Some("FHIR".into()), name: "boolean".into() };
        assert_eq!(expr, Expr::TypeTest { target: Some(ident("active")), op: TypeOp::Is, spec });
    }

    #[test]
    fn a_number_followed_by_a_unit_is_a_quantity() {
        let expr = parse_any("4.0 'mg'").expect("parses");
        assert_eq!(expr, Expr::Literal(Literal::Quantity("4.0".into(), "mg".into())));
    }

    #[test]
    fn a_dangling_operator_is_a_syntax_error() {
        assert!(matches!(parse_any("2 + 2 /"), Err(FhirPathError::Syntax(_))));
        assert!(matches!(parse_any("a.where(b"), Err(FhirPathError::Syntax(_))));
    }
}
