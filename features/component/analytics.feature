@component:analytics
Feature: Metrics, alerts and user analytics
  Operations, alerts and user events land in files under analytics/; users appear there only
  as keyed pseudonyms, and security-relevant events go to the append-only audit log.

  Background:
    Given user "alice" exists
    And the analytics system is initialised

  Scenario: An error-rate alert is raised, acknowledged and resolved
    When 3 "search" operations succeed in 120 ms
    And 2 "search" operations fail in 900 ms
    And the metrics are collected
    Then an error_rate_high alert is open
    When "alice" acknowledges the error_rate_high alert
    Then an error_rate_high alert is open
    When "alice" resolves the error_rate_high alert
    Then no error_rate_high alert is open
    And the audit log records "alert_acknowledged" with outcome success
    And the audit log records "alert_resolved" with outcome success
    And no analytics file mentions "alice"

  Scenario: A fed sample above a threshold raises an alert
    When I call "analytics.evaluate_alerts" with:
      """
      metrics: {cpu_percent: 97.5}
      """
    Then the result at "[0].alert_type" equals cpu_usage_high
    And the result at "[0].severity" equals warning
    And a cpu_usage_high alert is open

  Scenario: Anonymised analytics contain no raw user id
    When "alice" starts a session "alice_trip"
    And "alice" uses the "memory_search" feature in "alice_trip"
    And 5 minutes pass
    And "alice" ends the session "alice_trip"
    Then no analytics file mentions "alice"
    When I call "files.read_jsonl" with:
      """
      path: analytics/user_analytics/engagement_metrics.jsonl
      """
    Then the result at "[0].session_duration_seconds" equals 300.0
    And the result at "[0].user_hash" matches ^[0-9a-f]{16}$

  Scenario: A hostile id is refused and audited as a security event
    When I try to call "analytics.record_event" with:
      """
      user_id: ../alice
      session_id: s1
      event_type: session_start
      """
    Then it fails with SecurityError mentioning "invalid user_id"
    And the audit log records "analytics_access_denied" with outcome denied

  Scenario: Background collection stops and leaves no task behind
    When I call "analytics.start_collection"
    Then the result at "collecting" equals true
    When I call "analytics.stop_collection"
    Then the result at "stopped" equals true
    And the result at "collector_tasks" equals 0
