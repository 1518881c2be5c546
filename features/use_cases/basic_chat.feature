@use_case:basic_chat @component:storage
Feature: Basic 1:1 chat
  A conversation lands on disk in order, with an exact message counter.

  Scenario: Three turns are stored in order with alternating roles
    Given user "alice" exists
    And "alice" has a chat session "trip"
    When "alice" says "I want to visit Lisbon" in "trip" and the assistant replies "When are you going?"
    And 2 minutes pass
    And "alice" says "In May" in "trip" and the assistant replies "May is mild and sunny."
    Then session "trip" of "alice" holds 4 messages on disk
    When I call "files.read_jsonl" with:
      """
      path: users/alice/${trip}/messages.jsonl
      """
    Then the result at "[*].role" equals [user, assistant, user, assistant]
    And the result at "[*].attachments" equals [[], [], [], []]

  Scenario: An oversized message is refused and nothing is written
    Given user "bob" exists
    And "bob" has a chat session "notes"
    And I call "text.repeat" with:
      """
      text: "x"
      length: 1048577
      """
    And I save "@" as "big"
    When I try to call "message.add" with:
      """
      user_id: bob
      session_id: ${notes}
      role: user
      content: ${big}
      """
    Then it fails with LimitExceeded mentioning "byte limit"
    And session "notes" of "bob" holds 0 messages on disk
