//! The subset of FHIRPath this evaluator runs: what the R4 search-parameter expressions use.

use super::FhirPathError;
use super::parser::{BinaryOp, Expr, Literal};

/// Functions the evaluator knows, with the argument counts each accepts.
const FUNCTIONS: [(&str, &[usize]); 6] = [
    ("where", &[1]),
    ("exists", &[0, 1]),
    ("empty", &[0]),
    ("first", &[0]),
    ("not", &[0]),
    ("resolve", &[0]),
];

/// Checks that every node of `expr` is one the evaluator runs.
pub(crate) fn check(expr: &Expr) -> Result<(), FhirPathError> {
    match expr {
        Expr::Literal(literal) => check_literal(literal),
        Expr::Identifier(_) => Ok(()),
        Expr::Member(target, _) => check(target),
        Expr::Call { target, name, args } => {
            target.as_deref().map(check).transpose()?;
            check_call(name, args)
        }
        Expr::TypeTest { target, .. } => target.as_deref().map(check).unwrap_or(Ok(())),
        Expr::Index(target, index) => check(target).and_then(|()| check(index)),
        Expr::Binary(op, left, right) => {
            check_operator(*op)?;
            check(left).and_then(|()| check(right))
        }
        Expr::Variable(name) if name == "this" => Ok(()),
        Expr::Variable(name) => unsupported(format!("variable ${name}")),
        Expr::External(name) if name == "resource" => Ok(()),
        Expr::External(_) => unsupported("environment variables other than %resource".into()),
        Expr::Unary(..) => unsupported("unary operators".into()),
    }
}

fn check_literal(literal: &Literal) -> Result<(), FhirPathError> {
    match literal {
        Literal::DateTime(_) => unsupported("date and time literals".into()),
        Literal::Quantity(..) => unsupported("quantity literals".into()),
        _ => Ok(()),
    }
}

fn check_call(name: &str, args: &[Expr]) -> Result<(), FhirPathError> {
    if name == "extension" {
        return match args {
            [Expr::Literal(Literal::String(_))] => Ok(()),
            _ => unsupported("extension() without a literal url".into()),
        };
    }
    let Some((_, counts)) = FUNCTIONS.iter().find(|(known, _)| *known == name) else {
        return unsupported(format!("function {name}()"));
    };
    if !counts.contains(&args.len()) {
        return Err(FhirPathError::Syntax(format!("wrong number of arguments to {name}()")));
    }
    args.iter().try_for_each(check)
}

fn check_operator(op: BinaryOp) -> Result<(), FhirPathError> {
    match op {
        BinaryOp::Union | BinaryOp::Eq | BinaryOp::Ne | BinaryOp::And | BinaryOp::Or => Ok(()),
        other => unsupported(format!("operator {other:?}")),
    }
}

fn unsupported(what: String) -> Result<(), FhirPathError> {
    Err(FhirPathError::Unsupported(what))
}

#[cfg(test)]
mod tests {
    use super::super::parser::parse_any;
    use super::*;

    fn verdict(text: &str) -> Result<(), FhirPathError> {
        check(&parse_any(text).expect("parses"))
    }

    #[test]
    fn search_parameter_shapes_are_supported() {
        assert_eq!(verdict("Account.subject.where(resolve() is Patient)"), Ok(()));
        assert_eq!(verdict("Patient.deceased.exists() and Patient.deceased != false"), Ok(()));
        assert_eq!(verdict("Bundle.entry[0].resource"), Ok(()));
        assert_eq!(
            verdict("(Observation.value as Quantity) | Observation.value.as(Range)"),
            Ok(())
        );
    }

    #[test]
    fn arithmetic_and_other_functions_are_reported_unsupported() {
        assert!(matches!(verdict("1 + 1"), Err(FhirPathError::Unsupported(_))));
        assert!(matches!(verdict("name.count()"), Err(FhirPathError::Unsupported(_))));
        assert!(matches!(verdict("@2020-01-01"), Err(FhirPathError::Unsupported(_))));
    }
}
