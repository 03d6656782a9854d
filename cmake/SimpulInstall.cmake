# SimpulInstall.cmake - what `cmake --install` (and so the Debian package, debian/rules)
# puts where: the daemon in sbin, the CLI in bin, their man pages (made from their
# --help texts by help2man when it is installed), the systemd unit, the region list.
include(GNUInstallDirs)

install(TARGETS simpuld RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS simpul RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/config/wilayah.csv DESTINATION ${CMAKE_INSTALL_DATADIR}/simpul)

find_program(HELP2MAN help2man)
if(HELP2MAN)
  # name, section, one-line summary
  foreach(page "simpuld;8;Simpul node daemon for SP4N-LAPOR! complaints"
               "simpul;1;Simpul command-line tool: nodes, keys, logs, backups, reports")
    list(GET page 0 name)
    list(GET page 1 sec)
    list(GET page 2 what)
    set(out ${CMAKE_BINARY_DIR}/man/${name}.${sec})
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${HELP2MAN} --no-info --section=${sec} --name=${what}
              --include=${PROJECT_SOURCE_DIR}/man/${name}.h2m --output=${out} $<TARGET_FILE:${name}>
      DEPENDS ${name} ${PROJECT_SOURCE_DIR}/man/${name}.h2m
      COMMENT "man page ${name}(${sec}) from --help")
    list(APPEND SP_MAN_PAGES ${out})
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${sec})
  endforeach()
  add_custom_target(man ALL DEPENDS ${SP_MAN_PAGES})
endif()
