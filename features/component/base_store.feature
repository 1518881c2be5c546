@component:storage
Feature: Base store
  Conversations, documents and counters as they land on disk.

  Scenario: A conversation is stored with an exact counter
    Given user "alice" exists
    And "alice" has a chat session "intro"
    When "alice" says "Hello there" in "intro" and the assistant replies "Hi! How can I help?"
    And 5 minutes pass
    And "alice" says "What is a flat file?" in "intro" and the assistant replies "A plain file on disk."
    Then session "intro" of "alice" holds 4 messages on disk

  Scenario: The generic vocabulary reaches every action
    Given user "bob" exists
    When I call "session.create" with:
      """
      user_id: bob
      title: Notes
      session_type: problem_solving
      """
    Then the result at "session_type" equals problem_solving
    And the result at "session_id" matches ^problem_solving_session_
    And I save "session_id" as "notes"
    When I call "messages.list" with:
      """
      user_id: bob
      session_id: ${notes}
      """
    Then the result at "length(@)" equals 0

  Scenario: A disallowed upload is refused and writes nothing
    Given user "carol" exists
    And "carol" has a chat session "work"
    When "carol" tries to upload "payload.exe" to "work"
    Then it fails with ValidationError mentioning "not allowed"
    And "carol" has 0 documents in "work"
