//! GetLogEvents on one stream.

use super::access::{self, Verdict};
use super::call::Decided;
use super::paging::Binding;
use super::{Call, Gateway, Parsed};
use crate::domain::{Action, LogGroupName, LogStreamName};
use crate::error::ApiError;
use crate::upstream::{GetLogEventsRequest, GetLogEventsResponse};

const ACTION: Action = Action::GetLogEvents;

/// A validated GetLogEvents request. `next_token` is the client's sealed token.
#[derive(Debug, Clone)]
pub(crate) struct GetLogEvents {
    pub(crate) group: LogGroupName,
    pub(crate) stream: LogStreamName,
    pub(crate) start_time: Option<i64>,
    pub(crate) end_time: Option<i64>,
    pub(crate) limit: Option<i32>,
    pub(crate) next_token: Option<String>,
    pub(crate) start_from_head: Option<bool>,
}

impl Gateway {
    /// Requires `logs:GetLogEvents` on the stream's ARN. Both paging tokens
    /// of the reply are sealed to the caller and the stream.
    pub(crate) async fn get_log_events(
        &self,
        call: &Call,
        input: Parsed<GetLogEvents>,
    ) -> Result<GetLogEventsResponse, ApiError> {
        let decided = match input {
            Err(e) => Decided::invalid(e),
            Ok(input) => {
                let arn = self.scope.log_stream(&input.group, &input.stream);
                let verdict = access::one(&call.principal, ACTION, arn);
                let result = self.read_events(call, &verdict, input).await;
                Decided::new(verdict, result)
            }
        };
        self.finish(call, ACTION, decided, 200)
    }

    async fn read_events(
        &self,
        call: &Call,
        verdict: &Verdict,
        input: GetLogEvents,
    ) -> Result<GetLogEventsResponse, ApiError> {
        verdict.require()?;
        let binding = Binding::new(&verdict.resource);
        let next_token = self.unwrap_token(call, ACTION, &binding, input.next_token.as_deref())?;
        let mut response = self
            .upstream
            .get_log_events(
                call.caller(),
                GetLogEventsRequest {
                    group: input.group,
                    stream: input.stream,
                    start_time: input.start_time,
                    end_time: input.end_time,
                    limit: input.limit,
                    next_token,
                    start_from_head: input.start_from_head,
                },
            )
            .await?;
        let seal = |t: Option<String>| self.wrap_token(call, ACTION, &binding, t.as_deref());
        response.next_forward_token = seal(response.next_forward_token.take());
        response.next_backward_token = seal(response.next_backward_token.take());
        Ok(response)
    }
}
