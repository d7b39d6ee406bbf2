import { makeStyles } from '@material-ui/core';

const useStyles = makeStyles({
  text: {
    color: '#7df3e1',
    fontSize: 26,
    fontWeight: 700,
    letterSpacing: 1,
    lineHeight: '30px',
  },
});

export const LogoFull = () => {
  const classes = useStyles();
  return <span className={classes.text}>fincloud</span>;
};
