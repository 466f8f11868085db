//! Fits a request to a model's capabilities before it is sent.

use crate::Request;
use crate::models::ModelSpec;

/// The request as `spec` accepts it: no temperature where it is deprecated, output capped at
/// the model's maximum, no fine-grained tool streaming where unsupported.
pub(super) fn for_model(request: &Request, spec: &ModelSpec) -> Request {
    let mut shaped = request.clone();
    if !spec.capabilities.temperature {
        shaped.temperature = None;
    }
    shaped.max_tokens = shaped.max_tokens.min(spec.max_output);
    if !spec.capabilities.eager_input_streaming {
        for tool in &mut shaped.tools {
            tool.eager_input_streaming = false;
        }
    }
    shaped
}
