# The same scenario in Gherkin (`prism-scenarios steps` lists every sentence).
@use_case:basic_chat @component:storage
Feature: Base store
  Scenario: A conversation is stored with an exact counter
    Given user "alice" exists
    And "alice" has a chat session "intro"
    When "alice" says "Hello" in "intro" and the assistant replies "Hi!"
    Then session "intro" of "alice" holds 2 messages on disk
