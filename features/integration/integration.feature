@component:integration
Feature: Components working together
  Insights, retrieval, tools and telemetry meet in one store, and users stay apart.

  Scenario: A panel decision becomes its owner's memory
    Given user "ivy" exists
    And a decision_making panel "review" of "ivy" with "a", "b" and "c"
    When "a" says "Move the launch to March." in "review"
    And the panel "review" decides "Launch moves to March" with positions:
      """
      a: march
      b: march
      c: march
      """
    Then "ivy" remembers the insight in medium_term memory
    When "ivy" searches her memory for "launch March"
    Then the search finds "Launch moves to March" first

  @telemetry
  Scenario: Every action leaves a metric and an audit record
    Given user "ivy" exists
    And "ivy" has a chat session "s1"
    When "ivy" says "hello" in "s1" and the assistant replies "hi"
    And I call "audit.entries" with:
      """
      event_type: action_performed
      """
    Then the result at "[*].details.action" equals [user.create, session.create, chat.turn]
    When I call "files.count_lines" with:
      """
      path: analytics/system_metrics/performance.jsonl
      """
    # the three chat steps, plus audit.entries itself (an analytics action)
    Then the result at "@" equals 4

  Scenario: One user's data stays invisible to another
    Given user "ivy" exists
    And user "max" exists
    And "ivy" has a knowledge base "private" with "notes.md" saying "The bluebird hint protects the vault."
    And "ivy" remembers "my PIN hint is bluebird" in the immediate layer with relevance 0.9
    When "max" searches his memory for "bluebird"
    Then the search finds nothing
    When "max" tries to ask "bluebird" in "private"
    Then it fails with SecurityError
