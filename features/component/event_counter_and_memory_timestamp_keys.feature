@component:analytics
Feature: A bad session counter and a bad memory timestamp name their field and value
  A session_end whose counter is not a non-negative integer is refused with the counter's
  key and the value given; a memory whose timestamp is not ISO 8601 is refused with the key
  timestamp and the value given.

  Background:
    Given user "alice" exists

  Scenario: A negative messages_sent counter is refused with its key and value
    Given the analytics system is initialised
    When I try to call "analytics.record_event" with:
      """
      user_id: alice
      session_id: s1
      event_type: session_end
      event_data: {messages_sent: -2}
      """
    Then it fails with ValidationError mentioning "messages_sent must be an integer >= 0"
    And the result at "key" equals event_data.messages_sent
    And the result at "value" equals -2

  Scenario: A memory timestamp that is not ISO 8601 is refused with the key timestamp
    When I try to call "memory.add" with:
      """
      user_id: alice
      content: We met at the harbour.
      timestamp: next tuesday
      """
    Then it fails with ValidationError mentioning "timestamp 'next tuesday' is not an ISO 8601 time"
    And the result at "key" equals timestamp
    And the result at "value" equals next tuesday
