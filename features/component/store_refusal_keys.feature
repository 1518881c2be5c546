@component:storage
Feature: Refusals of panels, users and documents name the field and value at fault
  A caller tells a refusal apart by its key (and value) without parsing the message: a
  missing user is about user_id, a bad filename about filename, an insight's unknown impact
  about impact_level and its foreign context message about context_message_ids.

  Scenario: A session for a user who does not exist is refused naming user_id
    When I try to call "session.create" with:
      """
      user_id: nobody
      session_id: s1
      """
    Then it fails with NotFound mentioning "user 'nobody' not found"
    And the result at "key" equals user_id
    And the result at "value" equals nobody

  Scenario: A filename ending with a dot is refused naming filename
    Given user "alice" exists
    And I call "session.create" with:
      """
      user_id: alice
      session_id: s1
      """
    When I try to call "documents.upload" with:
      """
      user_id: alice
      session_id: s1
      filename: "notes.txt."
      text: x
      """
    Then it fails with SecurityError mentioning "ends with a dot or space"
    And the result at "key" equals filename
    And the result at "value" equals "notes.txt."

  Scenario: An insight's unknown impact level and foreign context message name their field
    Given I call "panel.create" with:
      """
      panel_id: p1
      session_type: decision_making
      participants: [{participant_id: ann}, {participant_id: ben}]
      """
    When I try to call "panel.insight" with:
      """
      panel_id: p1
      content: Vote
      metadata: {impact_level: huge}
      """
    Then it fails with ValidationError mentioning "impact_level must be one of"
    And the result at "key" equals impact_level
    And the result at "value" equals huge
    When I try to call "panel.insight" with:
      """
      panel_id: p1
      content: Vote
      context_message_ids: [msg_000000000001]
      """
    Then it fails with NotFound mentioning "context message 'msg_000000000001'"
    And the result at "key" equals context_message_ids
    And the result at "value" equals msg_000000000001

  Scenario: A file where the store expects a folder is refused naming that path
    Given I call "files.write" with:
      """
      path: panel_sessions
      text: not a folder
      """
    When I try to call "panel.create" with:
      """
      panel_id: p1
      session_type: multi_persona
      participants: [{participant_id: ann}, {participant_id: ben}]
      """
    Then it fails with UnsafePath mentioning "refusing 'panel_sessions': the store expects a folder here"
    And the result at "key" equals path
    And the result at "value" equals panel_sessions

  Scenario: A record sealed with a key the store no longer holds is refused naming the key id
    Given the store is configured with:
      """
      storage:
        encryption:
          enabled: true
          active_key_id: k1
          keys: {k1: "base64:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
      """
    And user "alice" exists
    And I call "session.create" with:
      """
      user_id: alice
      session_id: s1
      """
    When I call "store.reopen" with:
      """
      active_key_id: k2
      keys: {k2: "base64:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}
      """
    And I try to call "session.get" with:
      """
      user_id: alice
      session_id: s1
      """
    Then it fails with Undecryptable mentioning "sealed with unknown key id 'k1'"
    And the result at "key" equals kid
    And the result at "value" equals k1
