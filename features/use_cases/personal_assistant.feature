@use_case:personal_assistant @component:storage @component:tool_execution @component:memory_layer @component:personas
Feature: Personal assistant
  Aria keeps Pat's calendar and task list through tools. Every calendar and task call is in
  the execution history with a hash anyone can recompute; long listings are cut; there is an
  hourly limit; what Pat asks to be reminded of is remembered across sessions.

  Background:
    Given I call "persona.store" with:
      """
      persona: {persona_id: aria, name: Aria, description: "A calm, precise personal assistant"}
      """
    And user "pat" exists
    And "pat" has a chat session "monday"
    And "pat" has a chat session "tuesday"
    And user "sam" exists
    And "pat" may use tools of the categories "computation", "database"

  Scenario: Calendar and task calls are logged with a verifiable result hash
    When "pat" runs the "calendar" tool in "monday" with:
      """
      action: add_event
      title: Dentist
      start: "2026-01-05T10:00:00+00:00"
      """
    Then the tool call succeeds
    And its result hash is the first 16 hex digits of the sha256 of its result
    And the last line of the execution history of "pat" is the tool call
    When "pat" asks "Book the dentist on Monday at ten" in "monday" and "aria" answers "Booked for Monday 10:00."
    And "pat" runs the "tasks" tool in "monday" with:
      """
      action: add_task
      title: Renew passport
      """
    Then the tool call succeeds
    And its result hash is the first 16 hex digits of the sha256 of its result
    And the last line of the execution history of "pat" is the tool call
    And the execution history of "pat" records the outcomes succeeded, succeeded

  Scenario: A calendar listing longer than 10000 characters is cut and marked
    When I call "text.repeat" with:
      """
      {text: "Bring the insurance card and the referral letter. ", length: 4000}
      """
    And I save "@" as "notes"
    And "pat" runs the "calendar" tool 3 times, 1 second apart, in "monday" with:
      """
      action: add_event
      title: Physio session {n}
      start: "2026-01-0{n}T08:00:00+00:00"
      notes: ${notes}
      """
    And "pat" runs the "calendar" tool in "monday" with:
      """
      action: list_events
      """
    Then the tool call succeeds
    And its result is cut at 10000 characters and ends in "... [truncated]"
    And its result hash is the first 16 hex digits of the sha256 of its result
    And the last line of the execution history of "pat" is the tool call

  Scenario: The 101st execution within an hour is refused
    When "pat" runs the "tasks" tool 100 times, 1 second apart, in "monday" with:
      """
      action: add_task
      title: Chore {n}
      """
    And "pat" runs the "calendar" tool in "monday" with:
      """
      action: list_events
      """
    Then the tool call is refused with "Rate limit exceeded"
    And the execution history of "pat" holds 101 attempts
    And the last line of the execution history of "pat" is the tool call

  Scenario: A reminder from Monday is found on Tuesday, and only by Pat
    When "pat" asks "Remind me to call the plumber on Friday" in "monday" and "aria" answers "I'll remind you.", remembering the request
    And "pat" searches her memory for "plumber Friday"
    Then the search finds "Remind me to call the plumber on Friday" first
    And the result at "[0].session_id" equals ${monday}
    When "pat" asks "What's on Friday?" in "tuesday" and "aria" answers "Call the plumber."
    And "sam" searches his memory for "plumber Friday"
    Then the search finds nothing
