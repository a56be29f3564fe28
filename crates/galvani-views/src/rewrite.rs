//! The singularity rewrites for people: the expression as written, its finite form in
//! the language's syntax and the singular point (`V = -40 mV`), and the W0601 warning
//! that reports each rewrite at its span.

use crate::print::{Printer, Style};
use galvani_diag::codes::SINGULARITY_REWRITE;
use galvani_diag::{Diagnostic, Span};
use galvani_symbolic::Linearized;

/// One rewrite of `Linearized::rewrites`, written out.
pub(crate) struct RewriteText {
    pub span: Span,
    /// The expression as written: the file's own text at the span when the source is
    /// known (units in the order the user wrote them), else the IR's text form.
    pub before: String,
    /// The finite form, in the language's syntax.
    pub after: String,
    /// `V = -40 mV`, when the singular point is a single value of one symbol.
    pub singular_at: Option<String>,
}

impl RewriteText {
    /// Every rewrite of `lin`, in its order.
    pub fn all(lin: &Linearized, source: Option<&str>) -> Vec<RewriteText> {
        let model = lin.model();
        let printer = Printer::new(lin, Style::Lang);
        lin.rewrites
            .iter()
            .map(|r| {
                let singular_at = r.singular_point.map(|(sym, value)| {
                    let name = printer.sym_name(sym);
                    let zero = galvani_ir::text::format_for_people(value);
                    let quantity = if model.dimensionless {
                        zero
                    } else {
                        galvani_ir::text::quantity_text(&zero, lin.dag().sym_dim(sym))
                    };
                    format!("{name} = {quantity}")
                });
                RewriteText {
                    span: r.span,
                    before: source
                        .and_then(|text| text.get(r.span.start as usize..r.span.end as usize))
                        .filter(|written| !written.is_empty() && !written.contains('\n'))
                        .map(str::to_string)
                        .unwrap_or_else(|| galvani_ir::text::expr_to_string(model, r.written)),
                    after: printer.print(r.after),
                    singular_at,
                }
            })
            .collect()
    }
}

/// The singularity rewrites as warnings, at the span of each rewritten expression, with
/// the before/after forms as notes (`before` as written in `source`, the file's text,
/// when it is given).
pub fn rewrite_warnings(lin: &Linearized, source: Option<&str>) -> Vec<Diagnostic> {
    RewriteText::all(lin, source)
        .into_iter()
        .map(|r| {
            let label = match &r.singular_at {
                Some(at) => format!("0/0 at {at}"),
                None => "0/0 where the numerator vanishes".to_string(),
            };
            Diagnostic::warning(
                SINGULARITY_REWRITE,
                "removable singularity rewritten with `exprel` (finite at the singular point)",
            )
            .with_primary(r.span, label)
            .with_note(format!("before: {}", r.before))
            .with_note(format!("after:  {}", r.after))
        })
        .collect()
}
