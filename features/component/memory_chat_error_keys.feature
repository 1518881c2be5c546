@component:memory_layer
Feature: Memory, chat and analytics refusals name the field at fault
  A refusal carries the key of the field it is about (and the value when there is one), so a
  caller can point at the field without parsing the message.

  Background:
    Given user "alice" exists

  Scenario: A sandbox session asked to remember a turn is refused with the key session_id
    When I call "session.create" with:
      """
      user_id: alice
      session_id: trial
      metadata: {sandbox: true}
      """
    And I try to call "chat.turn" with:
      """
      user_id: alice
      session_id: trial
      text: remember this
      reply: "not now"
      remember: true
      """
    Then it fails with ValidationError mentioning "is a prompt sandbox"
    And the result at "key" equals session_id
    And the result at "value" equals trial

  Scenario: Metadata of a memory never initialised is refused with the user id as its value
    When I try to call "memory.metadata" with:
      """
      user_id: alice
      """
    Then it fails with NotFound mentioning "memory of user 'alice' is not initialised"
    And the result at "key" equals user_id
    And the result at "value" equals alice

  Scenario: A negative session duration is refused with the key of the nested field
    When I call "analytics.init" with:
      """
      {}
      """
    And I try to call "analytics.record_event" with:
      """
      user_id: alice
      session_id: s1
      event_type: session_end
      event_data: {session_duration_seconds: -1}
      """
    Then it fails with ValidationError mentioning "session_duration_seconds must be a number >= 0"
    And the result at "key" equals event_data.session_duration_seconds
    And the result at "value" equals -1
