@use_case:memory_chat @component:storage @component:memory_layer
Feature: Memory chat
  What is told in one session is remembered, found again, promoted, and private.

  Scenario: A relevant fact is promoted after two hours and recalled
    Given user "alice" exists
    And "alice" remembers "my favourite language is Python" in the immediate layer with relevance 0.8
    And "alice" remembers "nice weather today" in the immediate layer with relevance 0.3
    When "alice" searches her memory for "Favourite LANGUAGE"
    Then the search finds "my favourite language is Python" first
    When 2 hours pass
    And the memory maintenance runs for "alice"
    Then "alice" has 1 memory in short_term
    And "alice" has 0 memories in immediate
    And "my favourite language is Python" went immediate -> short_term for "alice"

  Scenario: Another user's search never returns the fact
    Given user "alice" exists
    And user "mallory" exists
    And "alice" remembers "my secret project is Nightingale" in the immediate layer with relevance 0.9
    When "mallory" searches her memory for "secret project Nightingale"
    Then the search finds nothing
