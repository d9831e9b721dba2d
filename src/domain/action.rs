//! The CloudWatch Logs actions the gateway performs, named as in IAM.

use std::fmt;

/// An action the gateway can forward. Policies name actions with IAM's names
/// (`logs:GetLogEvents`); an action pattern is compiled into a bit set of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Action {
    GetLogEvents,
    FilterLogEvents,
    DescribeLogGroups,
    DescribeLogStreams,
    StartQuery,
    GetQueryResults,
    StopQuery,
}

impl Action {
    pub(crate) const ALL: [Action; 7] = [
        Action::GetLogEvents,
        Action::FilterLogEvents,
        Action::DescribeLogGroups,
        Action::DescribeLogStreams,
        Action::StartQuery,
        Action::GetQueryResults,
        Action::StopQuery,
    ];

    /// The IAM name without the service prefix.
    pub(crate) fn operation(self) -> &'static str {
        match self {
            Action::GetLogEvents => "GetLogEvents",
            Action::FilterLogEvents => "FilterLogEvents",
            Action::DescribeLogGroups => "DescribeLogGroups",
            Action::DescribeLogStreams => "DescribeLogStreams",
            Action::StartQuery => "StartQuery",
            Action::GetQueryResults => "GetQueryResults",
            Action::StopQuery => "StopQuery",
        }
    }

    /// The IAM name, e.g. `logs:GetLogEvents`.
    pub(crate) fn iam_name(self) -> &'static str {
        match self {
            Action::GetLogEvents => "logs:GetLogEvents",
            Action::FilterLogEvents => "logs:FilterLogEvents",
            Action::DescribeLogGroups => "logs:DescribeLogGroups",
            Action::DescribeLogStreams => "logs:DescribeLogStreams",
            Action::StartQuery => "logs:StartQuery",
            Action::GetQueryResults => "logs:GetQueryResults",
            Action::StopQuery => "logs:StopQuery",
        }
    }

    /// Parses an exact IAM action name. Like IAM, the comparison ignores case.
    pub(crate) fn from_iam_name(name: &str) -> Option<Action> {
        Action::ALL
            .into_iter()
            .find(|a| a.iam_name().eq_ignore_ascii_case(name))
    }

    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// The bit set holding every action.
    pub(crate) fn all_bits() -> u16 {
        Action::ALL.iter().fold(0, |acc, a| acc | a.bit())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.iam_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_ignore_case() {
        for a in Action::ALL {
            assert_eq!(Action::from_iam_name(a.iam_name()), Some(a));
            assert_eq!(Action::from_iam_name(&a.iam_name().to_lowercase()), Some(a));
        }
        assert_eq!(Action::from_iam_name("logs:PutLogEvents"), None);
        assert_eq!(Action::from_iam_name("GetLogEvents"), None);
    }

    #[test]
    fn bits_are_distinct() {
        let all = Action::ALL.iter().fold(0u16, |acc, a| {
            assert_eq!(acc & a.bit(), 0);
            acc | a.bit()
        });
        assert_eq!(all.count_ones() as usize, Action::ALL.len());
    }
}
