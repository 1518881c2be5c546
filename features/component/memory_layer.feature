@component:memory_layer
Feature: Memory layers
  A user's memories live in five layers under users/{user}/memory_layers/. Maintenance removes
  what has outlived its layer and moves what is relevant enough one layer up; search only ever
  sees the searching user's memories.

  Background:
    Given user "alice" exists

  Scenario: A relevant memory climbs every layer as the clock moves
    Given "alice" remembers "Alice is allergic to peanuts." in the immediate layer with relevance 0.9
    And "alice" remembers "Alice said hello." in the immediate layer with relevance 0.3
    When 2 hours pass
    And the memory maintenance runs for "alice"
    Then "alice" has 0 memories in immediate
    And "alice" has 1 memory in short_term
    When 24 hours pass
    And the memory maintenance runs for "alice"
    Then "alice" has 0 memories in short_term
    And "alice" has 1 memory in medium_term
    When 7 days pass
    And the memory maintenance runs for "alice"
    Then "alice" has 1 memory in long_term
    When 365 days pass
    And the memory maintenance runs for "alice"
    Then "alice" has 0 memories in long_term
    And "alice" has 1 memory in permanent
    And "Alice is allergic to peanuts." went immediate -> short_term -> medium_term -> long_term -> permanent for "alice"

  Scenario: Permanent memories outlive everything else
    Given "alice" remembers "Alice's birthday is on 12 May." in the permanent layer with relevance 0.1
    And "alice" remembers "Alice once lived in Porto." in the long_term layer with relevance 0.1
    When 3652 days pass
    And the memory maintenance runs for "alice"
    Then "alice" has 1 memory in permanent
    And "alice" has 0 memories in long_term

  Scenario: A memory that is not relevant enough expires with its layer
    Given "alice" remembers "Exactly at the threshold." in the immediate layer with relevance 0.5
    When 90 minutes pass
    And the memory maintenance runs for "alice"
    Then "alice" has 1 memory in immediate
    When 30 minutes pass
    And the memory maintenance runs for "alice"
    Then "alice" has 0 memories in immediate
    And "alice" has 0 memories in short_term

  Scenario: Search ignores case and punctuation and never crosses users
    Given user "bob" exists
    And "alice" remembers "Booked a hotel in Paris for May." in the immediate layer with relevance 0.9
    And "alice" remembers "Paris museums are closed on Mondays" in the immediate layer with relevance 0.4
    And "bob" remembers "Dentist appointment on Friday." in the immediate layer with relevance 0.8
    When "alice" searches her memory for "PARIS?"
    Then the search finds "Booked a hotel in Paris for May." first
    And the search finds only memories of "alice"
    When "bob" searches his memory for "paris"
    Then the search finds nothing
    When "alice" searches her memory for "dentist!"
    Then the search finds nothing
    When 30 days pass
    And "alice" remembers "Cancelled the Paris hotel." in the immediate layer with relevance 0.9
    And "alice" searches her memory for "paris hotel"
    Then the search finds "Cancelled the Paris hotel." first

  Scenario: A hostile user id is refused and audited as a security event
    When I try to call "memory.search" with:
      """
      user_id: ../alice
      query: anything
      """
    Then it fails with SecurityError mentioning "invalid user_id"
    And the audit log records "memory_access_denied" with outcome denied
    And no audit file mentions "../alice"
